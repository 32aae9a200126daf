"""The platform outbox against a fake platform over real HTTP: signatures, retries and back-off, once per
message, order per stream, nothing lost while the platform is down, failures a person can retry."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from govservice.exceptions import InvalidTransition, NotFound
from intake.models import PlatformMessage
from intake.platforms.outbox import (
    backoff_seconds,
    platform_message_acknowledge,
    platform_message_enqueue,
    platform_message_retry,
    platform_messages_claim,
    platform_messages_reap,
    platform_send_pending,
)
from intake.platforms.registry import PlatformAdapter, platform_register
from intake.platforms.signing import IDEMPOTENCY_HEADER, MESSAGE_IDS_HEADER, PLATFORM_HEADER, SIGNATURE_HEADER
from intake.tasks import platform_send_due

from .fake_platform import Reply

pytestmark = pytest.mark.django_db
Status = PlatformMessage.Status


def enqueue(centre, stream: str = "WO-1", kind: str = "signed", **payload) -> PlatformMessage:
    return platform_message_enqueue(
        platform="fake", centre=centre, stream_key=stream, kind=kind, payload=payload or {"n": 1}
    )


def reload(message: PlatformMessage) -> PlatformMessage:
    return PlatformMessage.objects.get(pk=message.pk)


def test_a_message_exists_only_if_the_change_that_caused_it_commits(centre, fake_adapter):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(centre)
        raise RuntimeError("the state change failed")
    assert not PlatformMessage.objects.exists()


def test_sequences_count_up_per_stream(centre, fake_adapter):
    first, other, second = enqueue(centre, "A"), enqueue(centre, "B"), enqueue(centre, "A")
    assert (first.sequence, other.sequence, second.sequence) == (1, 1, 2)


def test_an_unknown_platform_is_refused_at_enqueue(centre):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        platform_message_enqueue(platform="nowhere", centre=centre, stream_key="x", kind="k", payload={})


def test_the_commit_sends_the_message_signed_with_its_id_as_idempotency_key(
    centre, platform, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(centre, answer="办结")
    message = reload(message)
    assert message.status == Status.SENT and message.attempts == 1 and message.sent_at is not None
    [request] = platform.requests
    headers = request["headers"]
    assert headers[IDEMPOTENCY_HEADER] == str(message.message_id)
    assert headers[MESSAGE_IDS_HEADER] == str(message.message_id)
    assert headers[PLATFORM_HEADER] == "fake"
    assert headers[SIGNATURE_HEADER].startswith("t=")
    assert platform.bad_signatures == 0
    body = json.loads(request["body"])
    assert body["messages"][0]["payload"] == {"answer": "办结"}
    assert body["messages"][0]["stream"] == "WO-1" and body["messages"][0]["sequence"] == 1


def test_an_acknowledging_answer_marks_the_message_acknowledged(centre, platform):
    platform.acknowledge = True
    message = enqueue(centre)
    platform_send_pending(platform="fake")
    message = reload(message)
    assert message.status == Status.ACKNOWLEDGED
    assert message.ack_reference == f"ack-{str(message.message_id)[:8]}"


def test_a_rejected_item_fails_and_the_others_of_the_request_do_not(centre, platform, fake_adapter):
    platform_register(PlatformAdapter(code="fake", label="Fake", batch_size=10))
    kept, refused = enqueue(centre, "A"), enqueue(centre, "B")
    platform.default = Reply(200, {"rejected": [{"message_id": str(refused.message_id), "reason": "缺少评价对象"}]})
    platform_send_pending(platform="fake")
    assert reload(kept).status == Status.SENT
    refused = reload(refused)
    assert refused.status == Status.FAILED and refused.last_error_detail == "缺少评价对象"


def test_a_server_error_is_retried_with_a_doubling_back_off_and_then_sent(centre, platform):
    platform.replies = [Reply(500), Reply(503), Reply(502)]
    message = enqueue(centre)
    gaps = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            assert platform_send_pending(platform="fake") == 1
            message = reload(message)
            assert message.status == Status.QUEUED and message.last_status_code in {500, 502, 503}
            gaps.append(round((message.next_attempt_at - timezone.now()).total_seconds()))
            assert platform_send_pending(platform="fake") == 0  # not due yet: nothing sent early
            clock.shift(timedelta(seconds=gaps[-1]))
        platform_send_pending(platform="fake")
    assert gaps == [30, 60, 120]
    message = reload(message)
    assert message.status == Status.SENT and message.attempts == 4
    assert len(platform.accepted) == 1


def test_back_off_is_capped(settings):
    settings.PLATFORM_MAX_BACKOFF_SECONDS = 1800
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff_seconds(50) == 1800


def test_a_time_out_is_retried(centre, platform):
    platform.replies = [Reply(hang=True)]
    message = enqueue(centre)
    platform_send_pending(platform="fake")
    message = reload(message)
    assert message.status == Status.QUEUED and message.last_status_code is None and message.last_error
    platform.release.set()
    with time_machine.travel(message.next_attempt_at + timedelta(seconds=1), tick=False):
        platform_send_pending(platform="fake")
    assert reload(message).status == Status.SENT


def test_a_bad_signature_answer_fails_the_message_and_holds_back_its_stream(centre, platform, settings):
    settings.PLATFORM_ENDPOINTS = {"fake": {"url": platform.url, "secret": "not-the-shared-secret"}}
    first, second = enqueue(centre), enqueue(centre)
    platform_send_pending(platform="fake")
    first, second = reload(first), reload(second)
    assert platform.bad_signatures == 1 and not platform.accepted
    assert first.status == Status.FAILED and first.last_status_code == 401
    assert second.status == Status.QUEUED and second.attempts == 0  # never sent ahead of its elder


def test_a_client_error_fails_at_once_and_a_person_retries_it_in_order(centre, platform, leader):
    platform.replies = [Reply(400, {"error": "bad field"})]
    first, second = enqueue(centre, n=1), enqueue(centre, n=2)
    platform_send_pending(platform="fake")
    assert reload(first).status == Status.FAILED and reload(second).status == Status.QUEUED
    platform_message_retry(message_id=first.message_id, actor=leader)
    retried = reload(first)
    assert retried.retried_by == leader and retried.status == Status.QUEUED
    platform_send_pending(platform="fake")
    assert [item["payload"]["n"] for item in platform.accepted] == [1, 2]
    assert reload(first).status == reload(second).status == Status.SENT


def test_only_a_failed_message_can_be_retried(centre, fake_adapter, leader):
    message = enqueue(centre)
    with pytest.raises(InvalidTransition):
        platform_message_retry(message_id=message.message_id, actor=leader)
    with pytest.raises(NotFound):
        platform_message_retry(message_id="not-a-uuid", actor=leader)


def test_a_platform_down_for_a_day_gets_everything_once_and_in_order(centre, platform):
    platform.default = Reply(503)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        messages = [enqueue(centre, f"WO-{i % 3}", n=i) for i in range(9)]
        for _ in range(24 * 6):  # a day of the beat, every 10 minutes
            platform_send_due()
            clock.shift(timedelta(minutes=10))
        assert not platform.accepted
        assert PlatformMessage.objects.filter(status=Status.FAILED).count() == 0
        platform.default = Reply(200)
        for _ in range(40):  # the platform is back: the beat catches up within the longest back-off
            platform_send_due()
            clock.shift(timedelta(minutes=1))
    assert sorted(item["payload"]["n"] for item in platform.accepted) == list(range(9))
    assert platform.duplicates == []
    assert all(seqs == sorted(seqs) for seqs in platform.by_stream().values())
    assert {reload(m).status for m in messages} == {Status.SENT}


def test_a_claimed_message_is_not_claimed_again(centre, fake_adapter):
    enqueue(centre)
    _token, first = platform_messages_claim(platform="fake", limit=10)
    _token, second = platform_messages_claim(platform="fake", limit=10)
    assert len(first) == 1 and second == []


def test_running_the_send_twice_sends_once(centre, platform):
    enqueue(centre)
    platform_send_pending(platform="fake")
    platform_send_pending(platform="fake")
    platform_send_due()
    assert len(platform.requests) == 1


def test_a_message_whose_worker_died_is_sent_again_with_the_same_id_and_dropped_as_a_repeat(centre, platform, settings):
    message = enqueue(centre)
    platform_send_pending(platform="fake")  # the platform got it ...
    # ... but the worker died before recording that: the row still says "sending".
    PlatformMessage.objects.filter(pk=message.pk).update(status=Status.SENDING, claimed_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PLATFORM_SENDING_TIMEOUT_SECONDS + 1)):
        assert platform_messages_reap() == 1
        platform_send_pending(platform="fake")
    assert len(platform.requests) == 2
    assert [r["headers"][IDEMPOTENCY_HEADER] for r in platform.requests] == [str(message.message_id)] * 2
    assert len(platform.accepted) == 1 and platform.duplicates == [str(message.message_id)]


def test_a_live_claim_is_not_reaped(centre, fake_adapter):
    enqueue(centre)
    platform_messages_claim(platform="fake", limit=1)
    assert platform_messages_reap() == 0


def test_a_platform_without_url_or_secret_keeps_its_messages(centre, fake_adapter, settings):
    settings.PLATFORM_ENDPOINTS = {"fake": {"url": "https://platform.example/", "secret": ""}}
    message = enqueue(centre)
    assert platform_send_pending(platform="fake") == 0
    assert reload(message).status == Status.QUEUED and reload(message).attempts == 0


def test_an_internal_address_is_refused_without_permission(centre, platform, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    message = enqueue(centre)
    platform_send_pending(platform="fake")
    assert not platform.requests
    assert reload(message).status == Status.QUEUED and reload(message).last_error


def test_an_acknowledgement_is_recorded_once_and_stops_a_resend(centre, platform):
    platform.default = Reply(503)
    message = enqueue(centre)
    platform_send_pending(platform="fake")  # queued again for a retry ...
    acked = platform_message_acknowledge(platform="fake", message_id=message.message_id, reference="R-1")
    assert acked.status == Status.ACKNOWLEDGED and acked.ack_reference == "R-1"
    again = platform_message_acknowledge(platform="fake", message_id=str(message.message_id), reference="R-2")
    assert again.ack_reference == "R-1" and again.acknowledged_at == acked.acknowledged_at
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        platform_send_pending(platform="fake")
    assert len(platform.requests) == 1  # ... and not sent again


def test_an_acknowledgement_for_an_unknown_message_changes_nothing(centre, fake_adapter):
    message = enqueue(centre)
    import uuid

    with pytest.raises(NotFound):
        platform_message_acknowledge(platform="fake", message_id=uuid.uuid4())
    with pytest.raises(NotFound):
        platform_message_acknowledge(platform="other", message_id=message.message_id)
    assert reload(message).status == Status.QUEUED


def test_a_batch_carries_one_message_per_stream(centre, platform, fake_adapter):
    platform_register(PlatformAdapter(code="fake", label="Fake", batch_size=50))
    for i in range(3):
        enqueue(centre, "A", n=i)
        enqueue(centre, "B", n=i)
    platform_send_pending(platform="fake")
    sizes = [len(json.loads(r["body"])["messages"]) for r in platform.requests]
    assert sizes == [2, 2, 2]
    assert platform.by_stream() == {"A": [1, 2, 3], "B": [1, 2, 3]}
