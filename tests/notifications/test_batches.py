"""Dispatch in batches: one claim and one send task per batch, each message still handed over once."""

from __future__ import annotations

import importlib
import json
import os
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from govservice.masking import scrub
from notifications import services, tasks
from notifications.backends import OutgoingSms, SmsPermanentError, SmsTransientError, get_backend, locmem
from notifications.backends.file import FileBackend, outbox_file
from notifications.backends.locmem import LocmemBackend
from notifications.models import SmsEvent, SmsMessage, SmsTemplate
from tests.factories.notifications import SmsTemplateFactory

from .test_outbox import PHONE, dispatch, enqueue

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status
Kind = SmsEvent.Kind


def queue(n: int, *, prefix: str = "batch") -> list[SmsMessage]:
    """n due messages to n different numbers."""
    return [enqueue(key=f"{prefix}:{i}", phone=f"1390000{i:04d}") for i in range(n)]


def sms(key: str = "case:1:x") -> OutgoingSms:
    return OutgoingSms(phone=PHONE, sign_name="甲", template_code="SMS_1", params={}, text="你好", key=key)


# --- One batch: every message once, each with its history -------------------------------------------------


def test_a_batch_of_messages_goes_out_once_each_with_a_history_row_per_move(
    template, daytime, django_capture_on_commit_callbacks
):
    messages = queue(30)
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    assert sorted(s.key for s in locmem.outbox) == sorted(m.key for m in messages)
    rows = SmsMessage.objects.filter(key__startswith="batch:")
    assert set(rows.values_list("status", "attempts", "template_version")) == {(Status.SENT, 1, 1)}
    assert len(set(rows.values_list("provider_message_id", flat=True))) == 30  # each its own provider id
    for message in rows:
        events = list(message.events.values_list("kind", "old_status", "new_status", "attempt", "note", "actor"))
        assert events == [
            ("queued", "", "queued", 0, "", None),
            ("claimed", "queued", "sending", 1, "", None),
            # (scrub(): a run of digits in a random provider id can look like a phone number)
            ("sent", "sending", "sent", 1, scrub(message.provider_message_id), None),
        ]
    assert {s.out_id for s in locmem.outbox} == {f"{m.id}-1" for m in messages}


def test_the_claim_and_the_send_take_as_many_queries_for_fifty_messages_as_for_one(template, daytime):
    def claim_and_send() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as claim:
            claimed = services.sms_claim_due(enqueue=False).claimed
        with CaptureQueriesContext(connection) as send:
            services.sms_send_batch(message_ids=claimed)
        return len(claim.captured_queries), len(send.captured_queries)

    queue(1, prefix="one")
    one = claim_and_send()
    queue(50, prefix="fifty")
    assert claim_and_send() == one
    assert SmsMessage.objects.filter(status=Status.SENT).count() == 51


def test_the_claim_hands_out_batches_of_the_configured_size(
    template, daytime, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SMS_SEND_BATCH_SIZE = 4
    queue(10)
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.sms_send_batch_task, "delay", lambda ids: batches.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        claimed = services.sms_claim_due().claimed
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sum(batches, []) == claimed


def test_the_send_batch_task_run_twice_hands_each_message_over_once(template, daytime):
    queue(5)
    claimed = services.sms_claim_due(enqueue=False).claimed
    assert tasks.sms_send_batch_task.delay(claimed).get()["sent"] == 5
    assert tasks.sms_send_batch_task.delay(claimed).get() == {
        "sent": 0,
        "failed": 0,
        "retrying": 0,
        "deferred": 0,
        "skipped": 5,
    }
    assert len(locmem.outbox) == 5


def test_a_batch_redelivered_while_the_first_run_is_at_the_provider_sends_nothing(template, daytime, monkeypatch):
    queue(3)
    claimed = services.sms_claim_due(enqueue=False).claimed
    inner = []
    real = LocmemBackend.send_batch

    def send_and_meanwhile_redeliver(self, messages):
        inner.append(services.sms_send_batch(message_ids=claimed))
        return real(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_batch", send_and_meanwhile_redeliver)
    result = services.sms_send_batch(message_ids=claimed)
    assert sorted(result.sent) == sorted(claimed)
    assert sorted(inner[0].skipped) == sorted(claimed) and inner[0].sent == []
    assert len(locmem.outbox) == 3


class MixedBackend(LocmemBackend):
    """Takes the first message, refuses the second, is unreachable for the third."""

    def send_batch(self, messages):
        return [
            self.send(messages[0]),
            SmsPermanentError("gateway HTTP 400 isv.MOBILE_NUMBER_ILLEGAL"),
            SmsTransientError("gateway HTTP 503"),
        ]


def test_each_message_of_a_batch_gets_its_own_outcome(template, daytime, settings):
    settings.SMS_BACKEND = "tests.notifications.test_batches.MixedBackend"
    taken, refused, retried = queue(3)
    claimed = services.sms_claim_due(enqueue=False).claimed
    result = services.sms_send_batch(message_ids=claimed)
    assert (result.sent, result.failed, result.retrying) == ([taken.id], [refused.id], [retried.id])
    for message in (taken, refused, retried):
        message.refresh_from_db()
    assert taken.status == Status.SENT and taken.provider_message_id.startswith("locmem-")
    assert refused.status == Status.FAILED and "MOBILE_NUMBER_ILLEGAL" in refused.last_error
    assert retried.status == Status.QUEUED and retried.handed_over_at is None
    assert retried.send_after == timezone.now() + timedelta(seconds=30)
    assert refused.events.last().kind == Kind.FAILED and retried.events.last().kind == Kind.RETRY


@pytest.mark.parametrize(
    ("backend", "counted"),
    [("notifications.backends.locmem.LocmemBackend", 0), ("tests.notifications.test_outbox.BlindBackend", 1)],
    ids=["provider-asked", "provider-blind"],
)
def test_a_message_the_reaper_took_back_during_the_batch_is_recorded_sent_and_not_sent_again(
    template, daytime, monkeypatch, settings, django_capture_on_commit_callbacks, backend, counted
):
    settings.SMS_BACKEND = backend
    first, second = queue(2)
    claimed = services.sms_claim_due(enqueue=False).claimed
    real = LocmemBackend.send_batch

    def slow_provider(self, messages):
        # The reaper runs (as if its time-out had passed) while the provider answers: asked, the
        # provider does not have them yet; blind, the reaper counts a possible duplicate.
        services.sms_reap_stuck(now=timezone.now() + timedelta(minutes=11))
        return real(self, messages)

    monkeypatch.setattr(LocmemBackend, "send_batch", slow_provider)
    result = services.sms_send_batch(message_ids=claimed)
    monkeypatch.undo()
    assert sorted(result.sent) == sorted(claimed)
    for message in (first, second):
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.SENT, 1)
        assert message.possible_duplicates == counted  # counted by the reaper, honestly
        assert list(message.events.values_list("kind", flat=True))[-3:] == ["reaped", "claimed", "sent"]
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 2


def test_without_update_returning_the_claim_reads_the_rows_locked_and_still_sends_once(
    template, daytime, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(connection.features, "can_return_rows_from_update", False)
    messages = queue(4)
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    assert sorted(s.key for s in locmem.outbox) == sorted(m.key for m in messages)
    assert SmsEvent.objects.filter(kind=Kind.CLAIMED).count() == 4


# --- Pace: never claim more than can go out before the reaper's time-out -------------------------------------


def test_the_dispatcher_stops_claiming_when_enough_messages_wait_for_a_worker(template, daytime, settings):
    settings.SMS_DISPATCH_MAX_IN_FLIGHT = 5
    settings.SMS_SEND_BATCH_SIZE = 2
    queue(12)
    result = services.sms_dispatch()  # the send tasks are not run: everything claimed waits
    assert len(result.claimed) == 5
    assert services.sms_in_flight() == 5
    assert services.sms_dispatch().claimed == []  # full: the next beat run claims nothing


def test_a_full_send_batch_claims_the_next_batch_so_a_backlog_keeps_moving(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_DISPATCH_MAX_IN_FLIGHT = 2
    settings.SMS_SEND_BATCH_SIZE = 2
    queue(7)
    dispatch(django_capture_on_commit_callbacks)  # one beat run
    assert len(locmem.outbox) == 7
    assert len({s.key for s in locmem.outbox}) == 7


class SlowLocmemBackend(LocmemBackend):
    """A provider that takes 6 minutes per message (past half the reaper's 10-minute time-out)."""

    batch_size = 1
    traveller = None

    def send(self, sms):
        self.traveller.shift(timedelta(minutes=6))
        return super().send(sms)


def test_a_slow_provider_puts_the_rest_of_the_batch_back_before_the_reaper_would_take_it(template, daytime, settings):
    settings.SMS_BACKEND = "tests.notifications.test_batches.SlowLocmemBackend"
    SlowLocmemBackend.traveller = daytime
    queue(3)
    claimed = services.sms_claim_due(enqueue=False).claimed
    result = services.sms_send_batch(message_ids=claimed)
    assert len(result.sent) == 1 and len(result.deferred) == 2
    for message in SmsMessage.objects.filter(id__in=result.deferred):
        # Not handed over, not an attempt, not a possible duplicate: just waiting again.
        assert (message.status, message.attempts, message.possible_duplicates) == (Status.QUEUED, 0, 0)
        assert message.events.last().kind == Kind.DEFERRED
    assert services.sms_reap_stuck(now=timezone.now() + timedelta(hours=1)) == []


def test_the_reaper_takes_back_a_whole_dead_batch_and_counts_only_the_handed_over(template, daytime, settings):
    settings.SMS_BACKEND = "tests.notifications.test_outbox.BlindBackend"
    handed, waiting = queue(2)
    claimed = services.sms_claim_due(enqueue=False).claimed
    SmsMessage.objects.filter(id=handed.id).update(handed_over_at=timezone.now())  # the worker died mid-batch
    daytime.shift(timedelta(minutes=11))
    assert sorted(services.sms_reap_stuck()) == sorted(claimed)
    assert services.sms_reap_stuck() == []
    handed.refresh_from_db()
    waiting.refresh_from_db()
    assert (handed.status, handed.attempts, handed.retries, handed.possible_duplicates) == (Status.QUEUED, 1, 1, 1)
    assert (waiting.status, waiting.attempts, waiting.retries, waiting.possible_duplicates) == (Status.QUEUED, 0, 1, 0)


def test_the_reaper_settles_a_dead_batch_from_the_file_the_provider_wrote(template, daytime, settings, tmp_path):
    """kill -9 between the file backend's write and the rows' update: what is in the file is not written again."""
    settings.SMS_BACKEND = "notifications.backends.file.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    messages = queue(5)
    claimed = services.sms_claim_due(enqueue=False).claimed
    written = [m for m in SmsMessage.objects.filter(id__in=claimed).order_by("id")][:3]
    SmsMessage.objects.filter(id__in=claimed).update(handed_over_at=timezone.now())  # the whole batch was handed
    outcomes = FileBackend().send_batch([_outgoing(m) for m in written])  # ...but only 3 lines reached the file
    with outbox_file(tmp_path / "sms").open("ab") as handle:
        handle.write(b'{"provider_message_id": "torn", "out_id": "')  # and a torn line from the crash
    daytime.shift(timedelta(minutes=11))

    assert sorted(services.sms_reap_stuck()) == sorted(claimed)
    rows = {m.id: m for m in SmsMessage.objects.filter(id__in=claimed)}
    for message, provider_id in zip(written, outcomes, strict=True):
        row = rows.pop(message.id)
        assert (row.status, row.provider_message_id, row.possible_duplicates) == (Status.SENT, provider_id, 0)
        assert row.events.last().kind == Kind.RECONCILED
    for row in rows.values():  # not in the file: they go again, as the same attempt
        assert (row.status, row.attempts, row.handed_over_at, row.possible_duplicates) == (Status.QUEUED, 0, None, 0)

    assert sorted(services.sms_claim_due(enqueue=False).claimed) == sorted(rows)
    services.sms_send_batch(message_ids=list(rows))
    lines = [json.loads(x) for x in outbox_file(tmp_path / "sms").read_text().splitlines() if x.endswith("}")]
    assert sorted(line["key"] for line in lines) == sorted(m.key for m in messages)  # each key once


def test_the_reaper_does_not_ask_about_a_hand_over_that_may_still_be_under_way(template, daytime, settings, tmp_path):
    """A provider slower than the reaper's time-out: "not in the file yet" must not send it a second time."""
    settings.SMS_BACKEND = "notifications.backends.file.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    message = queue(1)[0]
    services.sms_claim_due(enqueue=False)
    daytime.shift(timedelta(minutes=10, seconds=50))
    SmsMessage.objects.filter(id=message.id).update(handed_over_at=timezone.now())  # handed over late, writing...
    daytime.shift(timedelta(seconds=20))
    assert services.sms_reap_stuck() == []  # 20 s after the hand-over: maybe still on its way
    message.refresh_from_db()
    assert message.status == Status.SENDING

    daytime.shift(timedelta(seconds=FileBackend.settle_after_seconds))
    assert services.sms_reap_stuck() == [message.id]  # long enough: not in the file means not sent
    message.refresh_from_db()
    assert (message.status, message.attempts, message.possible_duplicates) == (Status.QUEUED, 0, 0)


def _outgoing(message: SmsMessage) -> OutgoingSms:
    return OutgoingSms(
        phone=message.phone,
        sign_name="甲",
        template_code="",
        params={},
        text="你好",
        out_id=f"{message.id}-{message.attempts}",
        key=message.key,
        attempt=message.attempts,
    )


# --- The file backend: one write per batch ------------------------------------------------------------------


def test_the_file_backend_writes_a_batch_as_one_line_per_message(tmp_path):
    backend = FileBackend(file_path=str(tmp_path / "out.jsonl"))
    outcomes = backend.send_batch([sms("a"), sms("b"), sms("c")])
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["key"] for line in lines] == ["a", "b", "c"]
    assert [line["provider_message_id"] for line in lines] == outcomes
    assert all(line["phone"] == "139****5678" for line in lines)


def test_a_file_backend_write_that_stops_half_way_sends_only_the_whole_lines(tmp_path, monkeypatch):
    backend = FileBackend(file_path=str(tmp_path / "out.jsonl"))
    real_write = os.write
    calls = []

    def disk_fills_up(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, data[: data.index(b"\n") + 5])  # one line and a bit of the next
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_fills_up)
    outcomes = backend.send_batch([sms("a"), sms("b"), sms("c")])
    assert isinstance(outcomes[0], str)
    assert all(isinstance(o, SmsTransientError) for o in outcomes[1:])


def test_the_http_backend_sends_a_batch_one_request_per_message(gateway):
    from notifications.backends.http import HttpGatewayBackend

    outcomes = HttpGatewayBackend(url=gateway.url).send_batch([sms("a"), sms("b")])
    assert outcomes == ["gw-1", "gw-2"]
    assert len(gateway.requests) == 2


# --- Templates without the provider's id ----------------------------------------------------------------------


def test_a_gateway_backend_fails_a_template_without_provider_id_clearly_and_calls_no_one(
    daytime, settings, gateway, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.backends.http.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    SmsTemplateFactory(provider_template_id="")
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "没有服务商模板编号" in message.last_error and "correction_reminder" in message.last_error
    assert message.events.last().kind == Kind.FAILED
    assert gateway.requests == []


def test_the_missing_provider_id_error_is_translated(daytime, settings, gateway):
    settings.SMS_BACKEND = "notifications.backends.http.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    SmsTemplateFactory(provider_template_id="")
    message = enqueue()
    claimed = services.sms_claim_due(enqueue=False).claimed
    with translation.override("en"):
        services.sms_send_batch(message_ids=claimed)
    message.refresh_from_db()
    assert "has no provider template ID" in message.last_error


def test_the_file_backend_sends_a_template_without_provider_id(daytime, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "notifications.backends.file.FileBackend"
    SmsTemplateFactory(provider_template_id="")
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.SENT
    line = json.loads(outbox_file().read_text())
    assert line["template_code"] == ""


def test_the_seeded_templates_carry_no_placeholder_provider_ids():
    seeded = SmsTemplate.objects.filter(code__in=["case_correction_reminder", "evaluation_invite"])
    assert seeded.count() == 2
    assert set(seeded.values_list("provider_template_id", flat=True)) == {""}
    assert not SmsTemplate.objects.filter(provider_template_id__startswith="TODO_").exists()


def test_the_migration_turns_todo_placeholders_into_empty_ids_and_keeps_real_ones():
    SmsTemplateFactory(code="placeholder", provider_template_id="TODO_PLACEHOLDER")
    SmsTemplateFactory(code="real", provider_template_id="SMS_123")
    migration = importlib.import_module("notifications.migrations.0005_provider_template_id_blank")
    migration.clear_placeholders(django_apps, None)
    ids = dict(SmsTemplate.objects.filter(code__in=["placeholder", "real"]).values_list("code", "provider_template_id"))
    assert ids == {"placeholder": "", "real": "SMS_123"}


def test_the_template_admin_warns_about_and_filters_templates_in_use_without_provider_id(as_user, admin, settings):
    settings.SMS_BACKEND = "notifications.backends.http.HttpGatewayBackend"
    SmsTemplate.objects.all().delete()
    SmsTemplateFactory(code="lacking", provider_template_id="")
    SmsTemplateFactory(code="fixed", version=1, provider_template_id="")  # superseded by version 2
    SmsTemplateFactory(code="fixed", version=2, provider_template_id="SMS_2")
    SmsTemplateFactory(code="switched_off", provider_template_id="", is_active=False)
    client = as_user(admin)
    url = reverse("admin:notifications_smstemplate_changelist")
    response = client.get(url)
    assert response.status_code == 200
    warnings = [str(m) for m in response.context["messages"]]
    assert len(warnings) == 1
    assert "lacking" in warnings[0] and "fixed" not in warnings[0] and "switched_off" not in warnings[0]
    assert "拒绝发送" in warnings[0]  # the configured gateway needs the id
    filtered = client.get(url, {"provider_id": "missing"})
    assert [t.code for t in filtered.context["cl"].result_list] == ["lacking"]
    listed = client.get(url, {"provider_id": "set"})
    assert [(t.code, t.version) for t in listed.context["cl"].result_list] == [("fixed", 2)]


def test_the_template_admin_says_nothing_when_every_template_in_use_has_its_id(as_user, admin):
    SmsTemplate.objects.all().delete()
    SmsTemplateFactory(provider_template_id="SMS_1")
    response = as_user(admin).get(reverse("admin:notifications_smstemplate_changelist"))
    assert list(response.context["messages"]) == []


def test_backends_say_whether_they_need_a_provider_template_id(settings):
    from notifications.backends import get_backend_class

    assert get_backend_class("notifications.backends.http.HttpGatewayBackend").requires_provider_template_id
    for local in ("file.FileBackend", "console.ConsoleBackend", "locmem.LocmemBackend"):
        assert not get_backend_class(f"notifications.backends.{local}").requires_provider_template_id
    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    assert get_backend().send_batch([sms("x")])[0].startswith("locmem-")


def test_the_fast_history_insert_writes_every_column_of_an_event():
    from notifications.models import SmsEvent as Event
    from notifications.services.outbox import EVENT_COLUMNS

    columns = {f.column for f in Event._meta.concrete_fields} - {"id", "created_at"}
    assert set(EVENT_COLUMNS) == columns
