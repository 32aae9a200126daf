"""A rate throttle whose cost per request does not grow with the rate.

DRF's SimpleRateThrottle keeps the time of every request of the window in one
cache entry and reads and rewrites that whole list on each request: at a
channel's 6,000/min that is up to 6,000 timestamps (~54 KB pickled) per call.
This one keeps two counters per client, this window's and the last one's, and
estimates the requests of the sliding window as the current count plus the
previous count weighted by how much of the previous window the sliding window
still covers (the "sliding window counter"). Same rates ("6000/min"), same
`wait()` contract (Retry-After), two small cache round trips per request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache import caches
from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .redis_client import default_redis

# The whole check in one Redis round trip: read both counters, decide, count. The same arithmetic
# as `allow_request` below (Lua numbers are doubles, as Python's floats); atomic, so two workers
# cannot both take the last place. Answers {allowed, current, previous} as before the count.
_CHECK_AND_COUNT = """
local current = tonumber(redis.call('GET', KEYS[1])) or 0
local previous = tonumber(redis.call('GET', KEYS[2])) or 0
if previous * (1 - tonumber(ARGV[2])) + current >= tonumber(ARGV[1]) then
    return {0, current, previous}
end
if redis.call('INCR', KEYS[1]) == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[3])
end
return {1, current, previous}
"""
_scripts: dict[int, Any] = {}


class SlidingWindowThrottle(BaseThrottle):
    """Subclasses set `scope` (a key of DEFAULT_THROTTLE_RATES) and `get_cache_key()`, as with SimpleRateThrottle."""

    cache = default_cache
    timer = staticmethod(time.time)  # a plain function, not a method: self.timer() is the clock
    cache_format = "throttle2_%(scope)s_%(ident)s"
    scope: str = ""

    def __init__(self) -> None:
        # DRF's own rates table (DEFAULT_THROTTLE_RATES), so one setting and one override point serve both.
        rate = SimpleRateThrottle.THROTTLE_RATES.get(self.scope)
        # parse_rate does not read self; calling it unbound keeps DRF's rate syntax without a throttle instance.
        self.num_requests, self.duration = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]  # self unused
        self.wait_seconds: float | None = None

    def get_cache_key(self, request: Request, view: Any) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def rate_for(self, request: Request) -> tuple[int | None, int | None]:
        """(requests, seconds) for this request; the scope's rate unless a subclass knows better."""
        return self.num_requests, self.duration

    def allow_request(self, request: Request, view: Any) -> bool:
        limit, duration = self.rate_for(request)
        if limit is None or duration is None:  # no rate for this scope: no limit
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // duration)
        current_key, previous_key = f"{key}:{window}", f"{key}:{window - 1}"
        into = (now - window * duration) / duration  # how far into this window, 0..1
        client = default_redis() if self.cache is default_cache else None
        if client is not None:
            return self._allow_in_one_round_trip(client, current_key, previous_key, limit, duration, into)
        counts = self.cache.get_many([current_key, previous_key])
        current, previous = int(counts.get(current_key, 0)), int(counts.get(previous_key, 0))
        if previous * (1 - into) + current >= limit:
            self.wait_seconds = self._wait(
                current=current, previous=previous, into=into, limit=limit, duration=duration
            )
            return False
        self._count(current_key, duration=duration)
        return True

    def _allow_in_one_round_trip(
        self, client: Any, current_key: str, previous_key: str, limit: int, duration: int, into: float
    ) -> bool:
        """On Django's RedisCache: the same check and count as below, as one script on one client per process
        (govservice/redis_client.py) instead of three cache calls that each built a client. The counters are the
        cache's own keys (`make_key`) holding plain integers, as Django's RedisCache stores integers."""
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_CHECK_AND_COUNT)
        make_key = caches["default"].make_key
        allowed, current, previous = script(
            keys=[make_key(current_key), make_key(previous_key)], args=[limit, repr(into), 2 * duration + 1]
        )
        if not allowed:
            self.wait_seconds = self._wait(
                current=int(current), previous=int(previous), into=into, limit=limit, duration=duration
            )
            return False
        return True

    def _count(self, key: str, *, duration: int) -> None:
        # A counter lives two windows: long enough to be the next window's "previous".
        if self.cache.add(key, 1, timeout=2 * duration + 1):
            return
        try:
            self.cache.incr(key)
        except ValueError:  # expired between add() and incr()
            self.cache.add(key, 1, timeout=2 * duration + 1)

    @staticmethod
    def _wait(*, current: int, previous: int, into: float, limit: int, duration: int) -> float:
        """Seconds until the estimate drops below the limit (assuming no further requests)."""
        if current >= limit or not previous:
            return (1 - into) * duration  # only the next window helps
        # previous × (1 − into − t/d) + current < limit  ⇔  t > d × (1 − into − (limit − current) / previous)
        needed = duration * (1 - into - (limit - current) / previous)
        return max(needed, 1.0)

    def wait(self) -> float | None:
        return self.wait_seconds


# When a 429 carries no Retry-After of its own: a minute, the window of every rate here.
DEFAULT_RETRY_AFTER_SECONDS = 60


class RetryAfterMiddleware:
    """Every 429 says when to come back: DRF leaves the header out when a throttle gives no wait,
    and views or Axes that answer 429 themselves may forget it. A header already set is kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(DEFAULT_RETRY_AFTER_SECONDS)
        return response
