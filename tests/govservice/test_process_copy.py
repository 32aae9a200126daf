"""Each process's copy of a rarely changed value (govservice/process_copy.py): used while the shared token
holds, read afresh in every process after a change, never beyond its bound; on LocMemCache and on Redis."""

from __future__ import annotations

import os
import uuid
from datetime import date

import pytest
import redis

from complaints import deadlines
from complaints.models import FeedbackPolicy
from govservice import process_copy, workdays
from govservice.models import WorkCalendarDay
from govservice.process_copy import ProcessCopies
from govservice.redis_client import default_redis

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "process-copy"}}


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    settings.CACHES = LOCMEM
    if request.param == "locmem":
        yield None
        return
    url = os.environ.get("REDIS_URL")
    try:
        assert url
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except (AssertionError, redis.RedisError):
        pytest.skip("REDIS_URL unset or unreachable")
    prefix = f"test-copy-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    client = default_redis()
    assert client is not None
    yield client
    for name in client.scan_iter(match=f"{prefix}:*"):
        client.delete(name)
    settings.CACHES = LOCMEM


class Source:
    """A value that counts its reads."""

    def __init__(self) -> None:
        self.value, self.reads = 1, 0

    def __call__(self) -> int:
        self.reads += 1
        return self.value


@pytest.mark.django_db
def test_a_copy_holds_while_its_token_does_and_a_change_is_read_in_every_process(backend):
    source = Source()
    this, other = ProcessCopies[int]("t", seconds=60), ProcessCopies[int]("t", seconds=60)  # two processes
    assert this.get("k", source) == 1  # first sight: token issued, then read and kept
    assert other.get("k", source) == 1
    assert source.reads == 2
    assert [this.get("k", source), other.get("k", source)] == [1, 1]
    assert source.reads == 2  # both served from their own copy
    source.value = 2
    this.forget("k")  # in "this" process only: the other learns it from the token
    assert [this.get("k", source), other.get("k", source)] == [2, 2]
    assert other.get("x", source) == 2  # keys are separate


def test_a_copy_is_not_used_beyond_its_bound(backend, monkeypatch):
    source = Source()
    copies = ProcessCopies[int]("bound", seconds=60)
    copies.get("k", source), copies.get("k", source)
    source.value = 2  # changed by a write no signal saw
    assert copies.get("k", source) == 1
    now = process_copy.time.monotonic()
    monkeypatch.setattr(process_copy.time, "monotonic", lambda: now + 61)
    assert copies.get("k", source) == 2


def test_without_the_cache_the_value_is_read_each_time(backend, monkeypatch):
    source = Source()
    copies = ProcessCopies[int]("down", seconds=60)
    copies.get("k", source), copies.get("k", source)

    def down(name: str) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(process_copy, "token_get", down)
    source.value = 2
    assert copies.get("k", source) == 2


@pytest.mark.django_db
def test_the_work_calendar_copy_sees_a_new_holiday_at_once(backend):
    day = date(2031, 10, 8)
    for _ in range(3):
        assert workdays.WorkCalendar.load().is_working_day(day) is True
    WorkCalendarDay.objects.create(date=day, is_workday=False, name="临时闭厅")
    assert workdays.WorkCalendar.load().is_working_day(day) is False


@pytest.mark.django_db
def test_a_saved_feedback_policy_reaches_the_next_bad_review(backend, centre):
    assert deadlines.bad_review_days(centre.pk) == (FeedbackPolicy().contact_days, FeedbackPolicy().rectify_days)
    deadlines.bad_review_days(centre.pk)
    policy = FeedbackPolicy.objects.create(centre=centre, contact_days=3, rectify_days=9)
    assert deadlines.bad_review_days(centre.pk) == (3, 9)
    policy.contact_days = 4
    policy.save()
    assert deadlines.bad_review_days(centre.pk) == (4, 9)
    policy.delete()
    assert deadlines.bad_review_days(centre.pk) == (FeedbackPolicy().contact_days, FeedbackPolicy().rectify_days)
