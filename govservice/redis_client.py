"""One process-wide redis-py client on the default cache's Redis, for the few hot paths that need
more than Django's cache API offers: several commands in one round trip (a Lua script).

Django's RedisCache builds a new `redis.Redis` for every cache call (~0.15–0.25 ms of CPU each); a
channel request made five such calls for its key and its throttle. This module builds one client
per process on its own connection pool, with redis-py's public API only (`Redis.from_url`,
`register_script`), and keys named exactly as the cache names them (`cache.make_key`, public), so
values written here with plain integers (counters) read back through `cache.get` as Django's
RedisCache stores integers. Everything else (any other backend: LocMemCache in tests, the file
cache of `make run`) takes the ordinary cache calls: `default_redis()` answers None.
"""

from __future__ import annotations

import os
import threading

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

_lock = threading.Lock()
_client: tuple[tuple[int, str], redis.Redis] | None = None


def _location() -> str:
    location = settings.CACHES["default"]["LOCATION"]
    servers = location.split(",") if isinstance(location, str) else list(location)
    return servers[0].strip()  # Django's RedisCache writes to the first server


def default_redis() -> redis.Redis | None:
    """The default cache's Redis (one client per process), or None when the cache is not Django's RedisCache."""
    global _client
    if not isinstance(caches["default"], RedisCache):
        return None
    owner = (os.getpid(), _location())  # a fork (gunicorn) gets its own pool; a test's other cache its own client
    client = _client
    if client is not None and client[0] == owner:
        return client[1]
    with _lock:
        if _client is None or _client[0] != owner:
            _client = (owner, redis.Redis.from_url(owner[1]))
        return _client[1]
