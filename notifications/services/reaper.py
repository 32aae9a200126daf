"""The reaper: settle the messages whose worker went silent while they were SENDING.

A message is taken back to the queue, recorded as sent (the provider confirms
it has it), or retried as a counted possible duplicate; see sms_reap_stuck.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.masking import scrub

from ..backends import BaseSmsBackend, SmsError, get_backend
from ..models import SmsEvent, SmsMessage
from .outbox import _ids, _move_many, _per_row, max_attempts, sending_timeout

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


def max_reaps() -> int:
    """How often a message may be taken back without reaching the provider before it fails (SMS_MAX_REAPS).

    Such a take-back costs no attempt (the provider never saw the message: a
    broker or worker outage), so this is what stops a message that kills its
    worker before the hand-over from going round for ever. The default, 24
    time-outs of 10 minutes, outlasts a working day's outage.
    """
    return max(1, settings.SMS_MAX_REAPS)


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
    groups: dict[tuple[int, datetime | None, bool], list[int]] = defaultdict(list)
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
