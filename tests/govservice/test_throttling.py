"""The sliding-window-counter throttle: the rate holds, the cost does not grow with it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from govservice.throttling import SlidingWindowThrottle


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, "t": "10/min"})
    clock = Clock(600.0)  # the start of a minute

    class One(SlidingWindowThrottle):
        scope = "t"
        timer = clock

        def get_cache_key(self, request, view):
            return self.cache_format % {"scope": self.scope, "ident": "client"}

    cache.clear()
    return One, clock


def allowed(throttle_class, n: int) -> int:
    return sum(throttle_class().allow_request(None, None) for _ in range(n))


def test_the_rate_holds_within_a_window_and_the_refusal_says_how_long_to_wait(throttle):
    throttle_class, clock = throttle
    assert allowed(throttle_class, 10) == 10
    clock.now += 15
    refused = throttle_class()
    assert refused.allow_request(None, None) is False
    assert refused.wait() == pytest.approx(45)  # only the next window helps


def test_the_last_window_still_counts_for_the_part_the_sliding_window_covers(throttle):
    throttle_class, clock = throttle
    clock.now += 59
    assert allowed(throttle_class, 10) == 10  # all at the end of the first minute
    clock.now += 16  # 15 s into the next: 75 % of the last minute still inside the sliding window
    assert allowed(throttle_class, 10) == 3  # 10 × 0.75 = 7.5 → 2.5 more, so 3 (7.5 + 2 < 10, 7.5 + 3 ≥ 10)
    refused = throttle_class()
    assert refused.allow_request(None, None) is False
    assert 0 < refused.wait() <= 45
    clock.now += 45  # a whole minute after the burst: it no longer counts
    assert allowed(throttle_class, 10) == 10 - 3  # this window's 3 still do


def test_the_cache_keeps_two_small_counters_whatever_the_rate(throttle, monkeypatch):
    throttle_class, clock = throttle
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"t": "100000/min"})
    assert allowed(throttle_class, 500) == 500
    key = throttle_class().get_cache_key(None, None)
    assert cache.get(f"{key}:10") == 500  # one integer, not a list of 500 timestamps
    assert cache.get(f"{key}:9") is None
