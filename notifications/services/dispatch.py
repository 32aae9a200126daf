"""Claim due messages in batches, send a claimed batch, and reap messages whose worker died.

Throughput comes from doing everything per batch, never per message: the claim
moves up to `limit` rows in one UPDATE (plus one INSERT of their history
rows), one send task carries a batch of ids, the hand-over to the provider and
the outcome are one UPDATE per batch, and the backend takes the batch at once
where it can (the file backend writes it with one write()). Exactly-once rests
on the same two compare-and-sets as before, only applied to sets of rows:
QUEUED → SENDING (whoever's UPDATE changes the row owns the attempt) and
handed_over_at NULL → now on that attempt (the batch that sets it is the one
that hands it over).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.masking import scrub

from ..backends import BaseSmsBackend, OutgoingSms, SmsError, SmsPermanentError, get_backend
from ..models import SmsEvent, SmsMessage, SmsTemplate
from .outbox import (
    SEND_WINDOW,
    _by_ids,
    _day_start,
    _move,
    _move_many,
    _update_returning,
    backoff,
    in_send_window,
    max_attempts,
    next_window_start,
    sending_timeout,
)
from .templates import sms_template_current, template_missing_params

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


def send_batch_size() -> int:
    """Messages per send task (SMS_SEND_BATCH_SIZE, default 250)."""
    return max(1, int(getattr(settings, "SMS_SEND_BATCH_SIZE", 250)))


def max_in_flight() -> int:
    """How many claimed messages may wait for a worker before the dispatcher stops claiming more.

    A claimed message must be handed over well within the reaper's time-out
    (SMS_SENDING_TIMEOUT_SECONDS), or the reaper takes it back and counts a
    retry: keep SMS_DISPATCH_MAX_IN_FLIGHT below the backend's messages per
    second × the time-out / 2. The default (10,000) suits the file backend and
    a gateway taking ≥ 35 messages a second.
    """
    return max(1, int(getattr(settings, "SMS_DISPATCH_MAX_IN_FLIGHT", 10_000)))


# --- Claim ------------------------------------------------------------------------------------------


def _sent_today_counts(*, phone_hashes: Iterable[str], now: datetime) -> dict[str, int]:
    """Messages per number handed out today (claimed, sent or delivered), whatever their key: one query."""
    rows = (
        SmsMessage.objects.filter(
            phone_hash__in=set(phone_hashes),
            claimed_at__gte=_day_start(now),
            status__in=[Status.SENDING, Status.SENT, Status.DELIVERED],
        )
        .order_by()
        .values("phone_hash")
        .annotate(n=Count("id"))
        .values_list("phone_hash", "n")
    )
    return dict(rows)


@dataclass(frozen=True)
class ClaimResult:
    claimed: list[int]
    deferred: list[int]


def sms_claim_due(*, now: datetime | None = None, limit: int = 500, enqueue: bool = True) -> ClaimResult:
    """Claim up to `limit` due QUEUED messages: QUEUED → SENDING, attempts + 1, claimed_at = now.

    Returns the ids this caller won; after commit they go to the worker as
    send tasks of `send_batch_size()` ids each (unless `enqueue` is off). Two
    dispatchers running at once never win the same row: on PostgreSQL they
    skip each other's locked rows (FOR UPDATE SKIP LOCKED), and everywhere the
    UPDATE moves only rows still QUEUED and reports exactly the rows it moved.

    With the per-number daily cap off the claim is one statement,
    `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) … RETURNING`;
    with it on, the due rows are read (and locked) first, one query counts
    what each number already had today, and the rows over the cap are
    deferred to 08:00 tomorrow in one more UPDATE.
    """
    now = now or timezone.now()
    cap = int(getattr(settings, "SMS_DAILY_CAP_PER_NUMBER", 10))
    candidates = SmsMessage.objects.filter(status=Status.QUEUED, send_after__lte=now)
    if not in_send_window(now):
        # At night only templates that say so may go out.
        night_codes = [
            t.code for t in SmsTemplate.objects.filter(allow_night=True) if sms_template_current(code=t.code) == t
        ]
        candidates = candidates.filter(template_code__in=night_codes)
    candidates = candidates.order_by("send_after", "id")
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    # (SQLite has no row locks: its writes are serialised, and the UPDATE's own
    # `status = queued` condition decides who gets a row.)
    deferred: list[int] = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # After a bulk enqueue PostgreSQL's statistics still say few rows are queued, and it
            # then collected every due row and sorted them all on each claim (O(queue) per claim:
            # 87 ms at 30 k queued) instead of reading the first n entries of sms_status_due_idx,
            # which is already in (send_after, id) order (0.6 ms). Discouraging a sort for this
            # one transaction keeps the index plan whatever the statistics say.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_sort = off")
        if cap:
            rows = list(candidates.values_list("id", "phone_hash")[:limit])
            counts = _sent_today_counts(phone_hashes=(h for _, h in rows), now=now)
            to_claim: list[int] = []
            to_defer: list[int] = []
            for message_id, phone_hash in rows:
                if counts.get(phone_hash, 0) >= cap:
                    to_defer.append(message_id)
                else:
                    counts[phone_hash] = counts.get(phone_hash, 0) + 1
                    to_claim.append(message_id)
            if to_defer:
                start = SEND_WINDOW[0]
                tomorrow = _day_start(now) + timedelta(days=1, hours=start.hour, minutes=start.minute)
                moved = _move_many(
                    ids=to_defer,
                    from_status=Status.QUEUED,
                    to=Status.QUEUED,
                    kind=Kind.DEFERRED,
                    note=_("已达每日上限 %(cap)d 条，顺延到次日。") % {"cap": cap},
                    send_after=tomorrow,
                )
                won = set(_ids(moved))
                deferred = [i for i in to_defer if i in won]
            ids: Any = to_claim
        else:
            ids = candidates.values("id")[:limit]
        moved = _move_many(
            ids=ids,
            from_status=Status.QUEUED,
            to=Status.SENDING,
            kind=Kind.CLAIMED,
            claimed_at=now,
            handed_over_at=None,
            attempts=F("attempts") + 1,
        )
        won = set(_ids(moved))
        claimed = [i for i in ids if i in won] if isinstance(ids, list) else sorted(won)
        if claimed and enqueue:
            _enqueue_batches(claimed)
    return ClaimResult(claimed=claimed, deferred=deferred)


def _enqueue_batches(ids: list[int]) -> None:
    """After commit, one send task per batch of ids (ids only: no personal data on the broker)."""
    from ..tasks import sms_send_batch_task

    size = send_batch_size()
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    transaction.on_commit(lambda: [sms_send_batch_task.delay(batch) for batch in batches])


def sms_in_flight(*, up_to: int | None = None) -> int:
    """Claimed messages not yet handed over: the work already waiting for a worker.

    `up_to` stops counting there (a bounded count stays cheap however long the queue).
    """
    waiting = SmsMessage.objects.filter(status=Status.SENDING, handed_over_at__isnull=True).order_by()
    if up_to is not None:
        waiting = waiting.values("id")[:up_to]
    return waiting.count()


def sms_dispatch(*, now: datetime | None = None, max_batches: int = 200) -> ClaimResult:
    """The beat's dispatcher: claim batch after batch (each committed and enqueued) until none is due.

    Stops early once `max_in_flight()` claimed messages wait for a worker, so
    that nothing waits long enough for the reaper to take it back; the send
    tasks then top the queue up themselves (`sms_dispatch_top_up`).
    """
    claimed: list[int] = []
    deferred: list[int] = []
    room = max_in_flight() - sms_in_flight(up_to=max_in_flight())
    for _batch in range(max_batches):
        if room <= 0:
            break
        result = sms_claim_due(now=now, limit=min(send_batch_size() * 2, room))
        claimed += result.claimed
        deferred += result.deferred
        room -= len(result.claimed)
        if not result.claimed and not result.deferred:
            break
    return ClaimResult(claimed=claimed, deferred=deferred)


def sms_dispatch_top_up() -> ClaimResult:
    """Claim one more batch if messages are due and the queue has room: a finished send task calls this.

    This keeps a backlog flowing at the worker's pace between two beat runs,
    without a dispatcher that sleeps and without claiming more than can be
    sent before the reaper's time-out.
    """
    nothing = ClaimResult(claimed=[], deferred=[])
    if not SmsMessage.objects.filter(status=Status.QUEUED, send_after__lte=timezone.now()).exists():
        return nothing  # the usual case once a backlog is claimed: one indexed look-up
    room = max_in_flight() - sms_in_flight(up_to=max_in_flight())
    if room <= 0:
        return nothing
    return sms_claim_due(limit=min(send_batch_size(), room))


# --- Send a claimed batch ---------------------------------------------------------------------------


@dataclass
class SendResult:
    """What became of each id of a batch. `skipped`: not ours to send (already sent, cancelled, taken back)."""

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("sent", "failed", "retrying", "deferred", "skipped")}


def _ids(moved: list[tuple[int, int]]) -> list[int]:
    return [message_id for message_id, _attempt in moved]


def _by(messages: Iterable[SmsMessage], key: Any) -> dict[Any, list[SmsMessage]]:
    groups: dict[Any, list[SmsMessage]] = defaultdict(list)
    for message in messages:
        groups[key(message)].append(message)
    return groups


def _fail_before_sending(messages: list[SmsMessage], *, note: str, last_error: str, result: SendResult) -> None:
    """SENDING → FAILED for messages that cannot go out as they are (template gone, id or parameter missing)."""
    for attempt, group in _by(messages, lambda m: m.attempts).items():
        moved = _move_many(
            ids=[m.id for m in group],
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=note,
            where={"attempts": attempt},
            last_error=scrub(last_error)[:500],
        )
        result.failed += _ids(moved)


def sms_send_batch(*, message_ids: Sequence[int], now: datetime | None = None) -> SendResult:
    """Send a batch of claimed messages through the configured backend.

    Runs outside any transaction: the provider call is network I/O. Each
    message is handed over at most once per attempt: the batch marks
    `handed_over_at` on the rows still SENDING, on the attempt it read and not
    yet handed over, and sends exactly the rows that UPDATE reports. A task
    delivered twice, or a batch racing the reaper, finds its rows already
    handed over or moved on and leaves them alone.
    """
    now = now or timezone.now()
    result = SendResult()
    messages = list(
        _by_ids(list(message_ids), status=Status.SENDING)
        .only("id", "key", "phone", "template_code", "params", "attempts", "claimed_at")
        .order_by("id")
    )
    found = {m.id for m in messages}
    result.skipped += [i for i in message_ids if i not in found]
    if not messages:
        return result
    templates = {code: sms_template_current(code=code) for code in {m.template_code for m in messages}}
    backend = get_backend()
    night = not in_send_window(now)
    ready: list[SmsMessage] = []
    to_defer: list[SmsMessage] = []
    no_template: list[SmsMessage] = []
    no_provider_id: list[SmsMessage] = []
    missing_params: dict[tuple[str, tuple[str, ...]], list[SmsMessage]] = defaultdict(list)
    for message in messages:
        template = templates[message.template_code]
        if night and not (template and template.allow_night):
            to_defer.append(message)
        elif template is None:
            no_template.append(message)
        elif backend.requires_provider_template_id and not template.provider_template_id.strip():
            no_provider_id.append(message)
        elif missing := template_missing_params(template, message.params):
            missing_params[(template.code, tuple(missing))].append(message)
        else:
            ready.append(message)

    # Claimed in the evening but reached the worker after 20:00: wait for the morning, not an attempt.
    for attempt, group in _by(to_defer, lambda m: m.attempts).items():
        moved = _move_many(
            ids=[m.id for m in group],
            from_status=Status.SENDING,
            to=Status.QUEUED,
            kind=Kind.DEFERRED,
            note=_("晚间不发短信，顺延到 08:00。"),
            where={"attempts": attempt, "handed_over_at__isnull": True},
            send_after=next_window_start(now),
            attempts=F("attempts") - 1,
        )
        result.deferred += _ids(moved)
    for code, group in _by(no_template, lambda m: m.template_code).items():
        _fail_before_sending(
            group,
            note=_("短信模板 %(code)s 不存在或已停用。") % {"code": code},
            last_error=f"template {code} missing",
            result=result,
        )
    for code, group in _by(no_provider_id, lambda m: m.template_code).items():
        template = templates[code]
        assert template is not None  # noqa: S101 - sorted above
        # The provider addresses templates by the id it approved: without one it cannot send.
        # Failing here names the cause; sending "" would come back as an obscure refusal.
        text = _(
            "短信模板 %(code)s 第 %(version)d 版没有服务商模板编号，当前短信通道无法发送。"
            "请在管理后台填写服务商审核通过的模板编号后重新发送。"
        ) % {"code": code, "version": template.version}
        _fail_before_sending(group, note=text, last_error=text, result=result)
    for (code, missing), group in missing_params.items():
        template = templates[code]
        assert template is not None  # noqa: S101 - sorted above
        # The template gained a parameter in the admin after these messages were queued.
        _fail_before_sending(
            group,
            note=_("短信模板 %(code)s 缺少参数：%(names)s") % {"code": code, "names": "、".join(missing)},
            last_error=f"template {code} v{template.version} needs {', '.join(missing)}",
            result=result,
        )

    chunk_size = max(1, backend.batch_size)
    # Hand over only while the reaper would still leave these alone (half its time-out from the claim).
    deadline = min((m.claimed_at or now for m in ready), default=now) + sending_timeout() / 2
    for start in range(0, len(ready), chunk_size):
        chunk = ready[start : start + chunk_size]
        if start and timezone.now() >= deadline:
            # A slow provider: stop before the reaper would take these back from a live worker.
            _release(chunk=ready[start:], now=now, result=result)
            break
        _send_chunk(chunk, templates=templates, backend=backend, now=now, result=result)
    return result


def _release(*, chunk: list[SmsMessage], now: datetime, result: SendResult) -> None:
    """Put claimed messages this batch had no time for back in the queue, not handed over, not an attempt."""
    for attempt, group in _by(chunk, lambda m: m.attempts).items():
        moved = _move_many(
            ids=[m.id for m in group],
            from_status=Status.SENDING,
            to=Status.QUEUED,
            kind=Kind.DEFERRED,
            note=_("本批发送用时过长，其余短信重新排队。"),
            where={"attempts": attempt, "handed_over_at__isnull": True},
            send_after=now,
            attempts=F("attempts") - 1,
        )
        result.deferred += _ids(moved)


def _send_chunk(
    chunk: list[SmsMessage],
    *,
    templates: dict[str, SmsTemplate | None],
    backend: BaseSmsBackend,
    now: datetime,
    result: SendResult,
) -> None:
    # Second claim: each attempt is handed to the provider once, even if the
    # broker delivered the task twice or another batch holds the same id.
    handed: set[int] = set()
    for (code, attempt), group in _by(chunk, lambda m: (m.template_code, m.attempts)).items():
        template = templates[code]
        assert template is not None  # noqa: S101 - only sendable messages get here
        rows = _update_returning(
            _by_ids([m.id for m in group], status=Status.SENDING).filter(attempts=attempt, handed_over_at__isnull=True),
            handed_over_at=now,
            template_version=template.version,
        )
        handed |= set(_ids(rows))
    mine = [m for m in chunk if m.id in handed]
    result.skipped += [m.id for m in chunk if m.id not in handed]
    if not mine:
        return
    outgoing = []
    for message in mine:
        template = templates[message.template_code]
        assert template is not None  # noqa: S101
        outgoing.append(
            OutgoingSms(
                phone=message.phone,
                sign_name=template.sign_name,
                template_code=template.provider_template_id,
                params=template.ordered_params(message.params),
                text=template.render(message.params),
                out_id=f"{message.id}-{message.attempts}",
                key=message.key,
                attempt=message.attempts,
            )
        )
    outcomes = backend.send_batch(outgoing)
    if len(outcomes) != len(mine):  # a backend bug: leave the rows handed over for the reaper to count
        raise RuntimeError(f"{type(backend).__name__}.send_batch gave {len(outcomes)} outcomes for {len(mine)}")
    sent_at = timezone.now()
    sent: list[tuple[SmsMessage, str]] = []
    refused: dict[tuple[int, str], list[SmsMessage]] = defaultdict(list)
    errors: dict[tuple[int, str], list[SmsMessage]] = defaultdict(list)
    for message, outcome in zip(mine, outcomes, strict=True):
        if isinstance(outcome, SmsPermanentError):
            refused[(message.attempts, str(outcome))].append(message)
        elif isinstance(outcome, Exception):
            errors[(message.attempts, scrub(str(outcome) or outcome.__class__.__name__)[:500])].append(message)
        else:
            sent.append((message, outcome))

    by_attempt: dict[int, dict[int, str]] = defaultdict(dict)
    claimed_at = {message.id: message.claimed_at for message, _provider_id in sent}
    for message, provider_id in sent:
        by_attempt[message.attempts][message.id] = provider_id
    for attempt, provider_ids in by_attempt.items():
        moved = _move_many(
            ids=list(provider_ids),
            from_status=Status.SENDING,
            to=Status.SENT,
            kind=Kind.SENT,
            notes=provider_ids,
            where={"attempts": attempt},
            provider_message_id=_per_row(provider_ids),
            sent_at=sent_at,
            last_error="",
        )
        won = set(_ids(moved))
        result.sent += [i for i in provider_ids if i in won]
        for message_id in provider_ids:
            if message_id not in won and _record_sent_after_reaped(
                message_id=message_id,
                attempt=attempt,
                claimed_at=claimed_at[message_id],
                provider_id=provider_ids[message_id],
            ):
                result.sent.append(message_id)

    for (attempt, reason), group in refused.items():
        logger.warning("%d sms refused by provider: %s", len(group), scrub(reason))
        moved = _move_many(
            ids=[m.id for m in group],
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=reason,
            where={"attempts": attempt},
            last_error=scrub(reason)[:500],
        )
        result.failed += _ids(moved)

    for (attempt, error), group in errors.items():
        logger.warning("%d sms attempt %s failed: %s", len(group), attempt, error)
        ids = [m.id for m in group]
        if attempt >= max_attempts():
            moved = _move_many(
                ids=ids,
                from_status=Status.SENDING,
                to=Status.FAILED,
                kind=Kind.FAILED,
                note=_("已尝试 %(n)d 次，放弃：%(error)s") % {"n": attempt, "error": error},
                where={"attempts": attempt},
                last_error=error,
            )
            result.failed += _ids(moved)
        else:
            moved = _move_many(
                ids=ids,
                from_status=Status.SENDING,
                to=Status.QUEUED,
                kind=Kind.RETRY,
                note=error,
                where={"attempts": attempt},
                last_error=error,
                send_after=now + backoff(attempt),
                handed_over_at=None,
            )
            result.retrying += _ids(moved)


def _per_row(values: dict[int, str]) -> RawSQL:
    """`CASE id WHEN … THEN … END`: each row of one UPDATE gets its own value (e.g. the provider's id).

    One raw expression with parameters rather than a Case() of When()s: Django
    resolves each When() like a filter, which cost more than the send itself.
    """
    sql = "CASE id " + " ".join("WHEN %s THEN %s" for _ in values) + " END"
    params = [item for pair in values.items() for item in pair]
    return RawSQL(sql, params, output_field=CharField())  # noqa: S611 - values are parameters, never SQL


def _record_sent_after_reaped(*, message_id: int, attempt: int, claimed_at: datetime | None, provider_id: str) -> bool:
    """The reaper took the message back while the provider was answering. It did go out, so record
    that (through SENDING, as the table says) rather than let it be sent again.

    The claim time pins "not claimed again since" (the reaper keeps it; a new
    claim changes it), whether the reaper counted the attempt or gave it back.
    False if it was claimed again meanwhile: then it goes out once more, as the
    possible duplicate the reaper already counted."""
    logger.warning("sms %s was sent after the reaper took it back", message_id)
    sent_at = timezone.now()
    if _move(
        message_id=message_id,
        from_status=Status.QUEUED,
        to=Status.SENDING,
        kind=Kind.CLAIMED,
        note=_("超时收回后发现已发送成功。"),
        where={"claimed_at": claimed_at},
        claimed_at=sent_at,
        attempts=attempt,
    ):
        return _move(
            message_id=message_id,
            from_status=Status.SENDING,
            to=Status.SENT,
            kind=Kind.SENT,
            note=provider_id,
            provider_message_id=provider_id,
            sent_at=sent_at,
        )
    return False


def sms_send(*, message_id: int, now: datetime | None = None) -> SmsMessage | None:
    """Send one claimed message (a batch of one); None if it was not ours to send or waits for the morning."""
    result = sms_send_batch(message_ids=[message_id], now=now)
    if message_id in result.skipped or message_id in result.deferred:
        return None
    return SmsMessage.objects.filter(id=message_id).first()


# --- Reaper ---------------------------------------------------------------------------------------


def max_reaps() -> int:
    """How often a message may be taken back without reaching the provider before it fails (SMS_MAX_REAPS).

    Such a take-back costs no attempt (the provider never saw the message: a
    broker or worker outage), so this is what stops a message that kills its
    worker before the hand-over from going round for ever. The default, 24
    time-outs of 10 minutes, outlasts a working day's outage.
    """
    return max(1, int(getattr(settings, "SMS_MAX_REAPS", 24)))


def sms_reap_stuck(*, now: datetime | None = None) -> list[int]:
    """Settle the messages whose worker went silent; returns the ids it took out of SENDING.

    A message stuck in SENDING longer than the time-out is one of three kinds:
    - never handed over (the task was lost or the worker died first): back to
      QUEUED, the attempt given back, `retries` + 1; it fails after
      `max_reaps()` such take-backs;
    - handed over, and the backend can tell what the provider has
      (`can_reconcile`): what the provider has is recorded SENT and not sent
      again; what it has not is put back like a message never handed over.
      Only once the hand-over is `settle_after_seconds` old: a younger one may
      still be on its way, and waits for a later run;
    - handed over, and nobody can tell: back to QUEUED as a retry that may
      arrive twice, counted in `possible_duplicates` (FAILED after the last attempt).
    Messages claimed together (same attempt and claim time) are settled with
    one UPDATE per outcome, and a message claimed again meanwhile is left alone.
    """
    now = now or timezone.now()
    stuck = list(
        SmsMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - sending_timeout()).values_list(
            "id", "attempts", "claimed_at", "handed_over_at"
        )
    )
    if not stuck:
        return []
    backend = get_backend()
    # A hand-over younger than this may still be on its way to the provider: asked now, the provider
    # could answer "not received" for a message about to arrive. Those wait for a later run.
    settled_before = now - timedelta(seconds=backend.settle_after_seconds)
    groups: dict[tuple[int, datetime, bool], list[int]] = defaultdict(list)
    for message_id, attempts, claimed_at, handed_over_at in stuck:
        if backend.can_reconcile and handed_over_at is not None and handed_over_at > settled_before:
            continue
        groups[(attempts, claimed_at, handed_over_at is not None)].append(message_id)
    reaped: list[int] = []
    for (attempts, claimed_at, handed), ids in groups.items():
        # The claim time and attempt pin the attempt that went silent.
        where = {"attempts": attempts, "claimed_at": claimed_at, "handed_over_at__isnull": not handed}
        if not handed:
            reaped += _take_back_unsent(ids, where=where, now=now)
            continue
        received = _ask_provider(backend, ids, attempt=attempts)
        if received is None:
            reaped += _take_back_maybe_sent(ids, attempts=attempts, where=where, now=now)
            continue
        if received:
            reaped += _record_received(received, where=where, now=now)
        reaped += _take_back_unsent([i for i in ids if i not in received], where=where, now=now)
    return sorted(reaped)


def _ask_provider(backend: BaseSmsBackend, ids: list[int], *, attempt: int) -> dict[int, str] | None:
    """{message id: provider id} of these handed-over messages the provider has; None if it cannot tell."""
    if not backend.can_reconcile:
        return None
    out_ids = {f"{message_id}-{attempt}": message_id for message_id in ids}
    try:
        answer = backend.received(list(out_ids))
    except SmsError as exc:
        logger.warning("cannot ask the sms provider about %d messages: %s", len(ids), scrub(str(exc)))
        return None
    return {out_ids[out_id]: provider_id for out_id, provider_id in answer.items() if out_id in out_ids}


def _record_received(received: dict[int, str], *, where: dict[str, Any], now: datetime) -> list[int]:
    """SENDING → SENT for handed-over messages the provider confirms it has: they are not sent again."""
    moved = _move_many(
        ids=list(received),
        from_status=Status.SENDING,
        to=Status.SENT,
        kind=Kind.RECONCILED,
        notes={i: _("工作进程中断；服务商确认已收到（%(id)s），不再重发。") % {"id": p} for i, p in received.items()},
        where=where,
        provider_message_id=_per_row(received),
        sent_at=now,
        last_error="",
    )
    if moved:
        logger.warning("%d sms settled as sent: their worker died after the hand-over", len(moved))
    return _ids(moved)


def _take_back_unsent(ids: list[int], *, where: dict[str, Any], now: datetime) -> list[int]:
    """Back to the queue, the attempt given back (the provider never had them); FAILED after max_reaps()."""
    if not ids:
        return []
    limit = max_reaps()
    failed = _move_many(
        ids=ids,
        from_status=Status.SENDING,
        to=Status.FAILED,
        kind=Kind.FAILED,
        note=_("已超时收回 %(n)d 次仍未发出，放弃。") % {"n": limit},
        where={**where, "retries__gte": limit - 1},
        retries=F("retries") + 1,
        last_error="sending timed out",
    )
    moved = _move_many(
        ids=ids,
        from_status=Status.SENDING,
        to=Status.QUEUED,
        kind=Kind.REAPED,
        note=_("发送超时（工作进程或消息队列中断），尚未提交服务商，收回重发。"),
        where=where,
        send_after=now,
        handed_over_at=None,
        attempts=F("attempts") - 1,
        retries=F("retries") + 1,
        last_error="sending timed out",
    )
    if moved:
        logger.warning("%d sms taken back before any hand-over: queued again, no attempt counted", len(moved))
    if failed:
        logger.warning("%d sms failed: taken back %d times without reaching the provider", len(failed), limit)
    return _ids(failed) + _ids(moved)


def _take_back_maybe_sent(ids: list[int], *, attempts: int, where: dict[str, Any], now: datetime) -> list[int]:
    """Handed over, outcome unknown: retry as a possible duplicate (counted), or fail after the last attempt."""
    if attempts >= max_attempts():
        moved = _move_many(
            ids=ids,
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=_("发送超时，已尝试 %(n)d 次，放弃。") % {"n": attempts},
            where=where,
            last_error="sending timed out",
        )
    else:
        moved = _move_many(
            ids=ids,
            from_status=Status.SENDING,
            to=Status.QUEUED,
            kind=Kind.REAPED,
            note=_("发送超时（工作进程可能中断），收回重发。") + _("服务商可能已收到，可能重复。"),
            where=where,
            send_after=now,
            handed_over_at=None,
            retries=F("retries") + 1,
            possible_duplicates=F("possible_duplicates") + 1,
            last_error="sending timed out",
        )
    if moved:
        logger.warning("%d sms reaped after time-out (attempt %s), possibly already sent", len(moved), attempts)
    return _ids(moved)
