"""Claim due messages in batches and hand them to the worker as send tasks (sending: send.py;
the reaper: reaper.py).

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.crypto import lookup_hashes, lookup_key_change_under_way

from ..models import SmsEvent, SmsMessage, SmsTemplate
from .outbox import SEND_WINDOW, _day_start, _ids, _move_many, in_send_window
from .templates import sms_template_current

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


def send_batch_size() -> int:
    """Messages per send task (SMS_SEND_BATCH_SIZE, default 250)."""
    return max(1, settings.SMS_SEND_BATCH_SIZE)


def max_in_flight() -> int:
    """How many claimed messages may wait for a worker before the dispatcher stops claiming more.

    A claimed message must be handed over well within the reaper's time-out
    (SMS_SENDING_TIMEOUT_SECONDS), or the reaper takes it back and counts a
    retry: keep SMS_DISPATCH_MAX_IN_FLIGHT below the backend's messages per
    second × the time-out / 2. The default (10,000) suits the file backend and
    a gateway taking ≥ 35 messages a second.
    """
    return max(1, settings.SMS_DISPATCH_MAX_IN_FLIGHT)


# --- Claim ------------------------------------------------------------------------------------------


def _sent_today_counts(*, phone_hashes: Iterable[str], now: datetime) -> dict[str, int]:
    """Messages per stored phone hash handed out today (claimed, sent or delivered), whatever their key: one
    query. During a change of lookup key one number may be counted under two hashes (`_numbers_of`)."""
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


def _numbers_of(candidates: QuerySet[SmsMessage], *, limit: int) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """The due rows as (id, number) and, for each stored phone hash that may count against them, its number.

    A number is its hash under the current lookup key. With one lookup key that is the stored hash itself
    (no decryption). While FIELD_LOOKUP_KEY lists old keys, today's messages to one phone may carry hashes
    under different keys: the phones of the due rows are read and every hash of each maps to one number,
    or the daily cap would count each key's messages apart (a phone would get the cap once per key)."""
    if not lookup_key_change_under_way():
        rows = list(candidates.values_list("id", "phone_hash")[:limit])
        return rows, {phone_hash: phone_hash for _, phone_hash in rows}
    numbered: list[tuple[int, str]] = []
    number_of: dict[str, str] = {}
    for message_id, phone_hash, phone in candidates.values_list("id", "phone_hash", "phone")[:limit]:
        hashes = lookup_hashes(phone) or [phone_hash]
        numbered.append((message_id, hashes[0]))
        number_of.update(dict.fromkeys([*hashes, phone_hash], hashes[0]))
    return numbered, number_of


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
    cap = settings.SMS_DAILY_CAP_PER_NUMBER
    candidates = SmsMessage.objects.filter(status=Status.QUEUED, send_after__lte=now)
    if not in_send_window(now):
        # At night only templates that say so may go out.
        night_codes = [
            t.code for t in SmsTemplate.objects.filter(allow_night=True) if sms_template_current(code=t.code) == t
        ]
        candidates = candidates.filter(template_code__in=night_codes)
    candidates = candidates.order_by("send_after", "id")
    # On PostgreSQL the dispatchers skip each other's locked rows. SQLite has no row locks and
    # Django ignores select_for_update() there (documented): its writes are serialised, and the
    # UPDATE's own `status = queued` condition decides who gets a row.
    candidates = candidates.select_for_update(skip_locked=True)
    deferred: list[int] = []
    with transaction.atomic():
        if cap:
            rows, number_of = _numbers_of(candidates, limit=limit)
            counts: dict[str, int] = {}
            for phone_hash, n in _sent_today_counts(phone_hashes=number_of, now=now).items():
                number = number_of.get(phone_hash, phone_hash)
                counts[number] = counts.get(number, 0) + n
            to_claim: list[int] = []
            to_defer: list[int] = []
            for message_id, number in rows:
                if counts.get(number, 0) >= cap:
                    to_defer.append(message_id)
                else:
                    counts[number] = counts.get(number, 0) + 1
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
            ids: list[int] | QuerySet[SmsMessage, int] = to_claim
        else:
            ids = candidates.values_list("id", flat=True)[:limit]
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
    if up_to is None:
        return waiting.count()
    return waiting.values("id")[:up_to].count()


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
