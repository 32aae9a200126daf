"""The outbox: exactly one hand-over per message, whatever runs twice or dies half-way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import services, tasks
from notifications.backends import SmsPermanentError, SmsTransientError, locmem
from notifications.backends.locmem import LocmemBackend
from notifications.models import SmsEvent, SmsMessage
from notifications.services import dispatch as dispatch_module
from notifications.services import outbox as outbox_module
from tests.factories.notifications import SmsMessageFactory, SmsTemplateFactory

from .conftest import DAYTIME, NIGHT

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status
PHONE = "13912345678"
PARAMS = {"tracking_no": "GS-2026-000123", "materials": "身份证复印件", "deadline": "3月6日"}


def enqueue(key: str = "case:1:2026-03-06:-2", phone: str = PHONE, **kwargs) -> SmsMessage:
    return services.sms_enqueue(key=key, phone=phone, template_code="correction_reminder", params=PARAMS, **kwargs)


def dispatch(capture) -> None:
    """One beat run: claim, then (after commit) the send tasks, eagerly."""
    with capture(execute=True):
        tasks.sms_dispatch_task.delay()


class FlakyBackend(LocmemBackend):
    def send(self, sms):
        raise SmsTransientError("gateway HTTP 503")


class RefusingBackend(LocmemBackend):
    def send(self, sms):
        raise SmsPermanentError("gateway HTTP 400 isv.MOBILE_NUMBER_ILLEGAL")


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the send path catches it."""


class DyingBackend(LocmemBackend):
    def send(self, sms):
        raise WorkerKilled


class DyingAfterHandOverBackend(LocmemBackend):
    """The provider takes the message, then the worker dies before the row can say SENT."""

    def send(self, sms):
        super().send(sms)
        raise WorkerKilled


class BlindBackend(LocmemBackend):
    """A provider that cannot be asked what it already has (no query API)."""

    can_reconcile = False


# --- Enqueue and cancel ----------------------------------------------------------------------------


def test_enqueue_is_idempotent_by_its_natural_key(template):
    first = enqueue()
    second = enqueue()
    assert first.id == second.id
    assert SmsMessage.objects.count() == 1
    assert list(first.events.values_list("kind", flat=True)) == [SmsEvent.Kind.QUEUED]
    # Stored encrypted, with a keyed hash beside it.
    raw = SmsMessage.objects.filter(id=first.id).values_list("phone", flat=True).query
    assert PHONE not in str(raw)


def test_a_number_that_is_not_a_mainland_mobile_is_stored_failed_and_never_sent(
    template, daytime, django_capture_on_commit_callbacks
):
    message = enqueue(phone="12345")
    assert message.status == Status.FAILED
    assert "手机号" in message.last_error
    dispatch(django_capture_on_commit_callbacks)
    assert locmem.outbox == []


def test_enqueue_accepts_a_number_with_country_code_and_stores_it_normalised(template):
    message = enqueue(phone="+86 139-1234-5678")
    message.refresh_from_db()
    assert message.phone == PHONE
    assert message.status == Status.QUEUED


def test_missing_template_parameters_are_named_and_the_message_is_not_sent(
    template, daytime, django_capture_on_commit_callbacks
):
    message = services.sms_enqueue(
        key="k", phone=PHONE, template_code="correction_reminder", params={"tracking_no": "x"}
    )
    assert message.status == Status.FAILED
    assert "materials" in message.last_error and "deadline" in message.last_error
    dispatch(django_capture_on_commit_callbacks)
    assert locmem.outbox == []


def test_a_parameter_added_to_the_template_after_queuing_fails_the_message_at_send_time(
    template, daytime, django_capture_on_commit_callbacks
):
    message = enqueue()
    services.sms_template_publish(
        code="correction_reminder",
        name="补正材料提醒",
        sign_name="市政务服务中心",
        provider_template_id="SMS_100009",
        param_names=["tracking_no", "materials", "deadline", "window"],
        text="{tracking_no}{materials}{deadline}{window}",
    )
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "window" in message.last_error
    assert locmem.outbox == []


def test_cancelled_messages_are_never_sent(template, daytime, django_capture_on_commit_callbacks):
    enqueue(key="case:7:2026-03-06:-2")
    enqueue(key="case:7:2026-03-06:0")
    other = enqueue(key="case:70:2026-03-06:0")
    assert services.sms_cancel(key_prefix="case:7:") == 2
    assert services.sms_cancel(key_prefix="case:7:") == 0  # a second cancel changes nothing
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    assert [sms.key for sms in locmem.outbox] == [other.key]
    assert set(SmsMessage.objects.filter(key__startswith="case:7:").values_list("status", flat=True)) == {
        Status.CANCELLED
    }
    assert SmsEvent.objects.filter(kind=SmsEvent.Kind.CANCELLED).count() == 2


def test_cancel_leaves_a_message_already_claimed_by_a_worker(template, daytime):
    message = enqueue(key="case:8:x")
    services.sms_claim_due()
    assert services.sms_cancel(key_prefix="case:8:") == 0
    message.refresh_from_db()
    assert message.status == Status.SENDING


# --- Dispatch: exactly once -------------------------------------------------------------------------


def test_dispatch_sends_a_due_message_exactly_once_when_run_twice(
    template, daytime, django_capture_on_commit_callbacks
):
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 1
    sent = locmem.outbox[0]
    assert sent.phone == PHONE
    assert sent.sign_name == "市政务服务中心"
    assert sent.template_code == "SMS_100001"
    assert list(sent.params) == ["tracking_no", "materials", "deadline"]
    assert sent.text == "您的办件GS-2026-000123还需补交身份证复印件，请于3月6日前提交。"
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_message_id.startswith("locmem-")
    assert message.attempts == 1
    assert message.template_version == 1
    assert list(message.events.values_list("kind", "new_status")) == [
        ("queued", "queued"),
        ("claimed", "sending"),
        ("sent", "sent"),
    ]


def test_a_message_not_yet_due_waits(template, daytime, django_capture_on_commit_callbacks):
    enqueue(send_after=timezone.now() + timedelta(minutes=5))
    dispatch(django_capture_on_commit_callbacks)
    assert locmem.outbox == []
    daytime.shift(timedelta(minutes=6))
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 1


def test_two_dispatchers_racing_claim_each_message_once(template, daytime, monkeypatch):
    """The second dispatcher runs between the first one's read and its UPDATE."""
    message = enqueue()
    results = []
    real_count = dispatch_module._sent_today_counts

    def other_dispatcher_runs_now(**kwargs):
        monkeypatch.setattr(dispatch_module, "_sent_today_counts", real_count)
        results.append(services.sms_claim_due())
        return real_count(**kwargs)

    monkeypatch.setattr(dispatch_module, "_sent_today_counts", other_dispatcher_runs_now)
    first = services.sms_claim_due()
    second = results[0]
    assert second.claimed == [message.id]
    assert first.claimed == []
    message.refresh_from_db()
    assert message.attempts == 1
    assert SmsEvent.objects.filter(message=message, kind=SmsEvent.Kind.CLAIMED).count() == 1


def test_the_send_task_run_twice_hands_the_message_over_once(template, daytime):
    message = enqueue()
    assert services.sms_claim_due().claimed == [message.id]
    assert tasks.sms_send_task.delay(message.id).get() == Status.SENT
    assert tasks.sms_send_task.delay(message.id).get() == "skipped"
    assert len(locmem.outbox) == 1


def test_a_redelivered_send_task_running_while_the_first_is_at_the_provider_does_not_send(
    template, daytime, monkeypatch
):
    message = enqueue()
    services.sms_claim_due()
    inner = []
    real_send = LocmemBackend.send

    def send_and_meanwhile_redeliver(self, sms):
        inner.append(services.sms_send(message_id=message.id))
        return real_send(self, sms)

    monkeypatch.setattr(LocmemBackend, "send", send_and_meanwhile_redeliver)
    services.sms_send(message_id=message.id)
    assert inner == [None]
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(locmem.outbox) == 1


# --- Crash, retry, give up --------------------------------------------------------------------------


def test_a_message_whose_worker_died_mid_send_is_reaped_and_sent_again_as_a_recorded_retry(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    """With a provider that cannot be asked, a hand-over whose worker died may have gone out: counted."""
    message = enqueue()
    settings.SMS_BACKEND = "tests.notifications.test_outbox.DyingBackend"
    with pytest.raises(WorkerKilled):
        dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.SENDING and message.handed_over_at is not None

    # Before the time-out the reaper leaves a (possibly slow) worker alone.
    daytime.shift(timedelta(minutes=5))
    assert tasks.sms_reap_task.delay().get() == 0

    settings.SMS_BACKEND = "tests.notifications.test_outbox.BlindBackend"
    daytime.shift(timedelta(minutes=6))
    assert tasks.sms_reap_task.delay().get() == 1
    assert tasks.sms_reap_task.delay().get() == 0  # run twice: reaped once
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.retries == 1
    # It had reached the provider call: the citizen may get it twice, and that is counted.
    assert message.possible_duplicates == 1
    reaped = message.events.get(kind=SmsEvent.Kind.REAPED)
    assert (reaped.old_status, reaped.new_status, reaped.attempt) == ("sending", "queued", 1)

    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(locmem.outbox) == 1


def test_a_hand_over_the_provider_confirms_is_recorded_sent_and_never_sent_again(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    """The worker died after the provider took the message: the reaper asks the provider and settles it."""
    message = enqueue()
    settings.SMS_BACKEND = "tests.notifications.test_outbox.DyingAfterHandOverBackend"
    with pytest.raises(WorkerKilled):
        dispatch(django_capture_on_commit_callbacks)
    assert [sms.key for sms in locmem.outbox] == [message.key]

    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    daytime.shift(timedelta(minutes=11))
    assert services.sms_reap_stuck() == [message.id]
    assert services.sms_reap_stuck() == []
    message.refresh_from_db()
    assert (message.status, message.attempts, message.retries, message.possible_duplicates) == (Status.SENT, 1, 0, 0)
    assert message.provider_message_id == f"locmem-{message.id}-1"
    settled = message.events.get(kind=SmsEvent.Kind.RECONCILED)
    assert (settled.old_status, settled.new_status, settled.attempt) == ("sending", "sent", 1)
    assert message.provider_message_id in settled.note

    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 1  # not handed over a second time


def test_a_hand_over_the_provider_never_got_goes_again_without_counting_an_attempt(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    message = enqueue()
    settings.SMS_BACKEND = "tests.notifications.test_outbox.DyingBackend"  # dies before the provider has it
    with pytest.raises(WorkerKilled):
        dispatch(django_capture_on_commit_callbacks)
    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    daytime.shift(timedelta(minutes=11))
    assert services.sms_reap_stuck() == [message.id]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.retries, message.possible_duplicates) == (Status.QUEUED, 0, 1, 0)
    assert message.handed_over_at is None

    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert [sms.out_id for sms in locmem.outbox] == [f"{message.id}-1"]


def test_a_provider_that_cannot_be_asked_now_leaves_the_counted_retry(template, daytime, settings, monkeypatch):
    message = enqueue()
    services.sms_claim_due(enqueue=False)
    SmsMessage.objects.filter(id=message.id).update(handed_over_at=timezone.now())  # died after the hand-over

    def unreachable(self, out_ids):
        raise SmsTransientError("query API HTTP 503")

    monkeypatch.setattr(LocmemBackend, "received", unreachable)
    daytime.shift(timedelta(minutes=11))
    assert services.sms_reap_stuck() == [message.id]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.possible_duplicates) == (Status.QUEUED, 1, 1)


def test_a_worker_that_died_before_the_provider_call_is_no_possible_duplicate(template, daytime):
    message = enqueue()
    services.sms_claim_due()  # the send task never ran (the broker lost it)
    daytime.shift(timedelta(minutes=11))
    assert services.sms_reap_stuck() == [message.id]
    message.refresh_from_db()
    # Not an attempt either: the provider never saw it.
    assert (message.status, message.attempts, message.retries, message.possible_duplicates) == (Status.QUEUED, 0, 1, 0)


def test_a_message_that_never_reaches_the_provider_fails_after_the_last_take_back(template, daytime, settings):
    """A broker outage costs no attempt; only SMS_MAX_REAPS take-backs in a row make the message fail."""
    settings.SMS_MAX_REAPS = 4
    message = enqueue()
    for _ in range(settings.SMS_MAX_REAPS):
        assert services.sms_claim_due().claimed == [message.id]
        daytime.shift(timedelta(minutes=11))
        services.sms_reap_stuck()
    message.refresh_from_db()
    assert (message.status, message.retries) == (Status.FAILED, 4)
    assert message.events.last().kind == SmsEvent.Kind.FAILED
    assert services.sms_claim_due().claimed == []


def test_a_message_that_keeps_killing_its_worker_fails_after_the_last_attempt(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    message = enqueue()
    for _ in range(settings.SMS_MAX_ATTEMPTS):
        settings.SMS_BACKEND = "tests.notifications.test_outbox.DyingBackend"
        with pytest.raises(WorkerKilled):
            dispatch(django_capture_on_commit_callbacks)
        settings.SMS_BACKEND = "tests.notifications.test_outbox.BlindBackend"
        daytime.shift(timedelta(minutes=11))
        services.sms_reap_stuck()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert services.sms_claim_due().claimed == []


def test_a_transient_error_is_retried_with_back_off_then_fails_after_the_last_attempt(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "tests.notifications.test_outbox.FlakyBackend"
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.send_after == timezone.now() + timedelta(seconds=30)
    assert "503" in message.last_error

    dispatch(django_capture_on_commit_callbacks)  # not yet: backing off
    message.refresh_from_db()
    assert message.attempts == 1

    daytime.shift(timedelta(seconds=31))
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.send_after == timezone.now() + timedelta(seconds=60)

    daytime.shift(timedelta(seconds=61))
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 3
    kinds = list(message.events.values_list("kind", flat=True))
    assert kinds.count(SmsEvent.Kind.RETRY) == 2 and kinds[-1] == SmsEvent.Kind.FAILED


def test_a_refused_message_fails_at_once(template, daytime, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.notifications.test_outbox.RefusingBackend"
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "MOBILE_NUMBER_ILLEGAL" in message.last_error


def test_a_message_whose_template_does_not_exist_fails_visibly(daytime, django_capture_on_commit_callbacks):
    message = services.sms_enqueue(key="k", phone=PHONE, template_code="nobody_made_me", params={})
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "nobody_made_me" in message.last_error
    assert locmem.outbox == []


# --- Night and daily cap -----------------------------------------------------------------------------


def test_no_sms_is_sent_at_night_and_it_goes_out_at_eight(template, django_capture_on_commit_callbacks):
    with time_machine.travel(NIGHT, tick=False) as traveller:
        message = enqueue()
        dispatch(django_capture_on_commit_callbacks)
        traveller.move_to("2026-03-05 07:59:00+08:00")
        dispatch(django_capture_on_commit_callbacks)
        assert locmem.outbox == []
        message.refresh_from_db()
        assert message.status == Status.QUEUED and message.attempts == 0
        assert not message.events.filter(kind=SmsEvent.Kind.CLAIMED).exists()  # not even claimed at night
        traveller.move_to("2026-03-05 08:00:00+08:00")
        dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 1


def test_a_message_claimed_before_eight_pm_but_reached_after_waits_for_the_morning(template):
    with time_machine.travel("2026-03-04 19:59:30+08:00", tick=False) as traveller:
        message = enqueue()
        services.sms_claim_due()
        traveller.move_to("2026-03-04 20:00:05+08:00")
        assert services.sms_send(message_id=message.id) is None
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.attempts == 0
    assert timezone.localtime(message.send_after).isoformat() == "2026-03-05T08:00:00+08:00"
    assert locmem.outbox == []


def test_a_template_marked_for_night_may_be_sent_at_night(django_capture_on_commit_callbacks):
    SmsTemplateFactory(code="urgent", param_names=[], text="紧急通知", allow_night=True)
    with time_machine.travel(NIGHT, tick=False):
        services.sms_enqueue(key="urgent:1", phone=PHONE, template_code="urgent", params={})
        dispatch(django_capture_on_commit_callbacks)
    assert [sms.text for sms in locmem.outbox] == ["紧急通知"]


def test_the_daily_cap_per_number_defers_the_rest_to_the_next_morning(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_DAILY_CAP_PER_NUMBER = 2
    for n in range(3):
        enqueue(key=f"cap:{n}")
    other_number = enqueue(key="cap:other", phone="13800001111")
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    assert sorted(sms.key for sms in locmem.outbox) == ["cap:0", "cap:1", "cap:other"]
    deferred = SmsMessage.objects.get(key="cap:2")
    assert deferred.status == Status.QUEUED
    assert timezone.localtime(deferred.send_after).isoformat() == "2026-03-05T08:00:00+08:00"
    assert deferred.events.filter(kind=SmsEvent.Kind.DEFERRED).count() == 1
    assert other_number.key in {sms.key for sms in locmem.outbox}

    daytime.move_to("2026-03-05 08:01:00+08:00")
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 4


# --- Receipts -------------------------------------------------------------------------------------------


def test_receipts_mark_messages_delivered_or_failed_once(template, daytime):
    delivered = SmsMessageFactory(status=Status.SENT, provider_message_id="p-1")
    undelivered = SmsMessageFactory(status=Status.SENT, provider_message_id="p-2")
    receipts = [
        services.Receipt("p-1", True, "DELIVRD"),
        services.Receipt("p-2", False, "UNDELIV"),
        services.Receipt("p-3", True, ""),
    ]
    assert services.sms_receipts_apply(receipts=receipts) == {
        "updated": 2,
        "unchanged": 0,
        "unknown": 1,
        "mismatched": 0,
    }
    assert services.sms_receipts_apply(receipts=receipts) == {
        "updated": 0,
        "unchanged": 2,
        "unknown": 1,
        "mismatched": 0,
    }
    delivered.refresh_from_db()
    undelivered.refresh_from_db()
    assert delivered.status == Status.DELIVERED and delivered.delivered_at == timezone.now()
    assert undelivered.status == Status.FAILED and "UNDELIV" in undelivered.last_error


def test_every_forbidden_transition_is_refused():
    message = SmsMessageFactory()
    for current in Status.values:
        for target in Status.values:
            if target == current or target in SmsMessage.TRANSITIONS[current]:
                continue
            with pytest.raises(ValueError):
                outbox_module._move(message_id=message.id, from_status=current, to=target, kind="x")


def test_the_dispatch_time_is_daytime_in_shanghai():
    assert services.in_send_window(DAYTIME)
    assert not services.in_send_window(NIGHT)
