"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` around the shared pool on every cache
call; redis-py's constructor fills its table of ~170 response callbacks each time. The channel API makes four
or five cache calls per request (throttle counters, the channel key), so that was ~1 ms of CPU per request
spent building and dropping clients (bench/profile_request.py). A `redis.Redis` is safe to share between
threads: each command takes a connection from the pool, as before.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class SharedClientRedisCache(RedisCache):
    """settings.CACHES backend: `govservice.cache.SharedClientRedisCache`, same LOCATION and OPTIONS as Django's."""

    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
