"""The transactional outbox (govservice/outbox.py): written with the caller's write, run after it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from govservice import outbox
from govservice.models import OutboxMessage


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    monkeypatch.setitem(outbox._handlers, "test.topic", seen.append)
    return seen


@pytest.fixture
def no_nudge(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    nudges: list[float | None] = []
    monkeypatch.setattr(outbox, "_publish", lambda task, *, countdown: nudges.append(countdown))
    return nudges


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_no_message_and_nudges_nothing(handled, no_nudge):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_enqueue(topic="test.topic", payload={"n": 1})
        raise RuntimeError
    assert not OutboxMessage.objects.exists()
    assert no_nudge == []
    assert outbox.outbox_drain_all() == 0 and handled == []


@pytest.mark.django_db(transaction=True)
def test_committed_messages_are_run_in_order_and_deleted(handled, no_nudge, settings, monkeypatch):
    from govservice.celery import app

    app.conf.task_always_eager = False  # reset by the autouse fixture of tests/conftest.py
    settings.OUTBOX_NUDGE_MS = 1000
    outbox._next_nudge_at = 0.0
    for n in range(3):
        with transaction.atomic():
            outbox.outbox_enqueue(topic="test.topic", payload={"n": n})
    assert no_nudge == [1.0]  # one delayed drain serves the burst
    assert outbox.outbox_drain_all() == 3
    assert handled == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_retried_then_given_up(monkeypatch, no_nudge):
    calls: list[int] = []

    def fail(payload: dict[str, Any]) -> None:
        calls.append(payload["n"])
        raise ValueError("partner down")

    monkeypatch.setitem(outbox._handlers, "test.fail", fail)
    outbox.outbox_enqueue(topic="test.fail", payload={"n": 7})
    for attempt in range(1, outbox.MAX_ATTEMPTS):
        assert outbox.outbox_drain() == 0
        assert OutboxMessage.objects.get().attempts == attempt
    assert outbox.outbox_drain() == 1  # the last attempt: logged and dropped
    assert calls == [7] * outbox.MAX_ATTEMPTS
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_message_claimed_by_a_live_drain_is_not_taken_again_but_a_dead_ones_is(handled, no_nudge):
    from datetime import timedelta

    from django.utils import timezone

    outbox.outbox_enqueue(topic="test.topic", payload={"n": 1})
    OutboxMessage.objects.update(claimed_at=timezone.now())
    assert outbox.outbox_drain() == 0 and handled == []
    OutboxMessage.objects.update(claimed_at=timezone.now() - timedelta(seconds=outbox.CLAIM_SECONDS + 1))
    assert outbox.outbox_drain() == 1 and handled == [{"n": 1}]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_topic_is_kept_for_retry_not_lost_silently(no_nudge):
    outbox.outbox_enqueue(topic="test.nobody", payload={})
    assert outbox.outbox_drain() == 0
    assert OutboxMessage.objects.get().attempts == 1
