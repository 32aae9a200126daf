"""The channel POST's Redis path (issue 21): each process keeps its copy of a key, the throttle is one script.

On Django's RedisCache (production) the key's generation token and the throttle go through one redis-py
client per process (govservice/redis_client.py); elsewhere (LocMemCache here by default, the file cache of
`make run`) through the cache API. Both are run: revocation, the copy's age bound and the throttle's rate and
Retry-After must not depend on the backend.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from complaints.models import Evaluation
from govservice.redis_client import default_redis
from govservice.throttling import SlidingWindowThrottle
from intake import auth
from intake.models import ChannelKey
from tests.intake.conftest import ChannelClient
from tests.intake.test_intake_post_cost import (
    _deactivate_channel,
    _delete_key,
    _remove_centre_from_channel,
    _remove_channel_from_centre,
    _revoke_by_admin_action,
    _revoke_by_service,
    _warm,
)

EVALUATIONS = "/api/v1/intake/evaluations/"
COMPLAINTS = "/api/v1/intake/complaints/"


def _redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    """The default cache as the test's backend; Redis under a key prefix of its own, removed afterwards."""
    auth._process_copies.clear()
    if request.param == "locmem":
        yield None
        auth._process_copies.clear()
        return
    url = _redis_url()
    if url is None:
        pytest.skip("REDIS_URL unset or unreachable")
    prefix = f"test-hot-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    client = default_redis()
    assert client is not None
    yield client
    auth._process_copies.clear()
    for name in client.scan_iter(match=f"{prefix}:*"):
        client.delete(name)
    # Back to this package's LocMemCache before its own teardown clears "the" cache (never flush Redis).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "intake"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "door",
    [
        _revoke_by_service,
        _revoke_by_admin_action,
        _delete_key,
        _deactivate_channel,
        _remove_centre_from_channel,
        _remove_channel_from_centre,
    ],
)
def test_a_key_this_process_holds_is_refused_on_the_next_request_whichever_door_changed_it(backend, api, channel, door):
    _warm(api)
    prefix = ChannelKey.objects.get(channel=channel).prefix
    assert prefix in auth._process_copies  # the next request is served from this process's copy
    assert api.post(EVALUATIONS, {"level": 5}).status_code == 201
    door(ChannelKey.objects.get(channel=channel), channel)
    response = api.post(EVALUATIONS, {"level": 5})
    assert response.status_code in (400, 403), response.content
    assert Evaluation.objects.count() == 3


@pytest.mark.django_db
def test_another_process_refuses_a_revoked_key_too(backend, api, channel):
    """A revoke in one process replaces the shared token: another process's copy no longer counts."""
    _warm(api)
    key = ChannelKey.objects.get(channel=channel)
    copy = auth._process_copies[key.prefix]
    _revoke_by_service(key, channel)  # this process forgets nothing itself: only the token changes
    auth._process_copies[key.prefix] = copy  # as another worker would still hold it
    assert api.post(EVALUATIONS, {"level": 5}).status_code == 403


@pytest.mark.django_db
def test_a_copy_is_not_used_longer_than_the_cache_time_after_its_database_read(backend, api, channel, monkeypatch):
    """A write no signal sees (queryset.update) is picked up at the latest KEY_CACHE_SECONDS after the read."""
    _warm(api)
    ChannelKey.objects.filter(channel=channel).update(revoked_at=timezone.now())  # no signal, no new token
    assert api.post(EVALUATIONS, {"level": 5}).status_code == 201  # the copy still stands ...
    now = auth.time.time()
    monkeypatch.setattr(auth.time, "time", lambda: now + auth.KEY_CACHE_SECONDS + 1)
    assert api.post(EVALUATIONS, {"level": 5}).status_code == 403  # ... but not beyond its bound


@pytest.mark.django_db
def test_the_throttle_counts_per_key_and_says_when_to_come_back(backend, api, centre, rates):
    from tests.factories.intake import hotline_channel, issued_key

    rates(channel="2/min")
    other = ChannelClient(issued_key(hotline_channel(centre, code="other")))
    assert [api.post(COMPLAINTS, {"content": f"第{i}条"}).status_code for i in range(3)] == [201, 201, 429]
    refused = api.post(COMPLAINTS, {"content": "再来"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert other.post(COMPLAINTS, {"content": "c"}).status_code == 201


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_sliding_window_is_the_same_on_redis_and_its_counters_read_back_through_the_cache(backend, monkeypatch):
    """The arithmetic of tests/govservice/test_throttling.py on each backend (the script on Redis)."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "t": "10/min"})
    clock = Clock(600.0 + 59)  # the end of a minute

    class One(SlidingWindowThrottle):
        scope = "t"
        timer = clock

        def get_cache_key(self, request, view):
            return self.cache_format % {"scope": self.scope, "ident": f"client-{id(clock)}"}

    def allowed(n):
        return sum(One().allow_request(None, None) for _ in range(n))

    assert allowed(12) == 10
    key = One().get_cache_key(None, None)
    assert cache.get(f"{key}:10") == 10  # the script's counter is the cache's integer
    clock.now += 16  # 15 s into the next minute: 75 % of the last one still counts
    assert allowed(10) == 3
    refused = One()
    assert refused.allow_request(None, None) is False
    assert 0 < refused.wait() <= 45
    if backend is not None:
        ttl = backend.ttl(cache.make_key(f"{key}:11"))
        assert 0 < ttl <= 121  # two windows and a second: long enough to be the next window's "previous"
