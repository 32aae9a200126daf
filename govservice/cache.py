"""Django's Redis cache backend with one redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and its
__init__ is heavy (option parsing, response callbacks): a few percent of the CPU of
each channel request, which calls the cache for its key, and again for its throttle.
A client over a shared ConnectionPool is thread-safe and holds no connection of its
own, so one per pool serves every call the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

if TYPE_CHECKING:
    from redis.connection import ConnectionPool


# Kept (docs/private-api.md): overrides Django's private RedisCacheClient hooks (_get_connection_pool,
# _client, RedisCache._class), for the "channel intake POST" figure of docs/benchmarks.md.
class ReusingRedisCacheClient(RedisCacheClient):
    # Django's RedisCacheClient sets and defines these, but django-stubs leaves private members out;
    # declared for the type checker only, so the runtime class keeps Django's own.
    _client: Callable[..., Any]  # redis.Redis, set in RedisCacheClient.__init__

    if TYPE_CHECKING:

        def _get_connection_pool(self, write: bool) -> ConnectionPool: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object: ids stay theirs
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
