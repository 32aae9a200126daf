from __future__ import annotations

from govservice.cache import RedisCache


def test_the_redis_cache_builds_one_client_per_pool_not_one_per_call():
    # Building a client connects to nothing: no Redis server is needed here.
    cache = RedisCache("redis://127.0.0.1:6399/0", {})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True).connection_pool is client.connection_pool
