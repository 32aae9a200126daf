"""Claim due messages, send one claimed message, and reap messages whose worker died."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.masking import scrub

from ..backends import OutgoingSms, SmsPermanentError, get_backend
from ..models import SmsEvent, SmsMessage, SmsTemplate
from .outbox import (
    SEND_WINDOW,
    _day_start,
    _move,
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


def _sent_today(*, phone_hash: str, now: datetime) -> int:
    """Messages to this number handed out today (claimed, sent or delivered), whatever their key."""
    return SmsMessage.objects.filter(
        phone_hash=phone_hash,
        claimed_at__gte=_day_start(now),
        status__in=[Status.SENDING, Status.SENT, Status.DELIVERED],
    ).count()


@dataclass(frozen=True)
class ClaimResult:
    claimed: list[int]
    deferred: list[int]


def sms_claim_due(*, now: datetime | None = None, limit: int = 200) -> ClaimResult:
    """Claim due QUEUED messages for sending: QUEUED → SENDING, attempts + 1, claimed_at = now.

    Returns the ids this caller won; the caller enqueues one send task per id
    after commit. Two dispatchers running at once never win the same row: on
    PostgreSQL they skip each other's locked rows, and everywhere the
    conditional UPDATE lets exactly one of them change it.
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
    claimed: list[int] = []
    deferred: list[int] = []
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            rows = list(candidates.select_for_update(skip_locked=True).values_list("id", "phone_hash")[:limit])
        else:
            rows = list(candidates.values_list("id", "phone_hash")[:limit])
        for message_id, phone_hash in rows:
            if cap and _sent_today(phone_hash=phone_hash, now=now) >= cap:
                start = SEND_WINDOW[0]
                tomorrow = _day_start(now) + timedelta(days=1, hours=start.hour, minutes=start.minute)
                if _move(
                    message_id=message_id,
                    from_status=Status.QUEUED,
                    to=Status.QUEUED,
                    kind=Kind.DEFERRED,
                    note=_("已达每日上限 %(cap)d 条，顺延到次日。") % {"cap": cap},
                    send_after=tomorrow,
                ):
                    deferred.append(message_id)
                continue
            if _move(
                message_id=message_id,
                from_status=Status.QUEUED,
                to=Status.SENDING,
                kind=Kind.CLAIMED,
                claimed_at=now,
                handed_over_at=None,
                attempts=F("attempts") + 1,
            ):
                claimed.append(message_id)
        if claimed:
            from ..tasks import sms_send_task

            ids = list(claimed)
            transaction.on_commit(lambda: [sms_send_task.delay(message_id) for message_id in ids])
    return ClaimResult(claimed=claimed, deferred=deferred)


# --- Send one claimed message ---------------------------------------------------------------------


def sms_send(*, message_id: int, now: datetime | None = None) -> SmsMessage | None:
    """Send one claimed message through the configured backend; None if it is not ours to send.

    Runs outside any transaction: the provider call is network I/O.
    """
    now = now or timezone.now()
    message = SmsMessage.objects.filter(id=message_id).first()
    if message is None or message.status != Status.SENDING:
        return None  # already sent, cancelled or taken back: a repeated task does nothing
    attempt = message.attempts
    mine = {"attempts": attempt}
    template = sms_template_current(code=message.template_code)
    if not in_send_window(now) and not (template and template.allow_night):
        # Claimed in the evening but reached the worker after 20:00: wait for the morning.
        _move(
            message_id=message_id,
            from_status=Status.SENDING,
            to=Status.QUEUED,
            kind=Kind.DEFERRED,
            note=_("晚间不发短信，顺延到 08:00。"),
            where={**mine, "handed_over_at__isnull": True},
            send_after=next_window_start(now),
            attempts=F("attempts") - 1,
        )
        return None
    if template is None:
        _move(
            message_id=message_id,
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=_("短信模板 %(code)s 不存在或已停用。") % {"code": message.template_code},
            where=mine,
            last_error=f"template {message.template_code} missing",
        )
        return _reload(message_id)
    missing = template_missing_params(template, message.params)
    if missing:
        # The template gained a parameter in the admin after this message was queued.
        _move(
            message_id=message_id,
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=_("短信模板 %(code)s 缺少参数：%(names)s") % {"code": template.code, "names": "、".join(missing)},
            where=mine,
            last_error=f"template {template.code} v{template.version} needs {', '.join(missing)}"[:500],
        )
        return _reload(message_id)
    # Second claim: this attempt is handed to the provider once, even if the
    # broker delivered the task twice.
    if not SmsMessage.objects.filter(
        id=message_id, status=Status.SENDING, attempts=attempt, handed_over_at__isnull=True
    ).update(handed_over_at=now, template_version=template.version):
        return None
    sms = OutgoingSms(
        phone=message.phone,
        sign_name=template.sign_name,
        template_code=template.provider_template_id,
        params=template.ordered_params(message.params),
        text=template.render(message.params),
        out_id=f"{message.id}-{attempt}",
        key=message.key,
        attempt=attempt,
    )
    try:
        provider_id = get_backend().send(sms)
    except SmsPermanentError as exc:
        logger.warning("sms %s refused by provider: %s", message.id, scrub(str(exc)))
        _move(
            message_id=message_id,
            from_status=Status.SENDING,
            to=Status.FAILED,
            kind=Kind.FAILED,
            note=str(exc),
            where=mine,
            last_error=scrub(str(exc))[:500],
        )
        return _reload(message_id)
    except Exception as exc:  # network, 5xx, a bug in a backend: all worth another try
        logger.warning("sms %s attempt %s failed: %s", message.id, attempt, scrub(str(exc)))
        error = scrub(str(exc) or exc.__class__.__name__)[:500]
        if attempt >= max_attempts():
            _move(
                message_id=message_id,
                from_status=Status.SENDING,
                to=Status.FAILED,
                kind=Kind.FAILED,
                note=_("已尝试 %(n)d 次，放弃：%(error)s") % {"n": attempt, "error": error},
                where=mine,
                last_error=error,
            )
        else:
            _move(
                message_id=message_id,
                from_status=Status.SENDING,
                to=Status.QUEUED,
                kind=Kind.RETRY,
                note=error,
                where=mine,
                last_error=error,
                send_after=now + backoff(attempt),
                handed_over_at=None,
            )
        return _reload(message_id)
    sent_at = timezone.now()
    if not _move(
        message_id=message_id,
        from_status=Status.SENDING,
        to=Status.SENT,
        kind=Kind.SENT,
        note=provider_id,
        where=mine,
        provider_message_id=provider_id,
        sent_at=sent_at,
        last_error="",
    ):
        # The reaper took it back while the provider was answering. It did go
        # out, so record that (through SENDING, as the table says) rather than
        # let it be sent again.
        logger.warning("sms %s was sent after the reaper took it back", message_id)
        if _move(
            message_id=message_id,
            from_status=Status.QUEUED,
            to=Status.SENDING,
            kind=Kind.CLAIMED,
            note=_("超时收回后发现已发送成功。"),
            where=mine,
            claimed_at=sent_at,
        ):
            _move(
                message_id=message_id,
                from_status=Status.SENDING,
                to=Status.SENT,
                kind=Kind.SENT,
                note=provider_id,
                provider_message_id=provider_id,
                sent_at=sent_at,
            )
    return _reload(message_id)


def _reload(message_id: int) -> SmsMessage | None:
    return SmsMessage.objects.filter(id=message_id).first()


# --- Reaper ---------------------------------------------------------------------------------------


def sms_reap_stuck(*, now: datetime | None = None) -> list[int]:
    """Put messages whose worker went silent back in the queue, as a recorded retry.

    A message stuck in SENDING longer than the time-out returns to QUEUED with
    retries + 1. If its worker had already handed it to the provider it may
    arrive twice: that is counted in `possible_duplicates`. After the last
    attempt it fails instead, so a message that kills its worker every time
    does not loop for ever.
    """
    now = now or timezone.now()
    stuck = SmsMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - sending_timeout()).values_list(
        "id", "attempts", "claimed_at", "handed_over_at"
    )
    reaped: list[int] = []
    for message_id, attempts, claimed_at, handed_over_at in list(stuck):
        where = {"attempts": attempts, "claimed_at": claimed_at}
        handed = handed_over_at is not None
        note = _("发送超时（工作进程可能中断），收回重发。") + (_("服务商可能已收到，可能重复。") if handed else "")
        if attempts >= max_attempts():
            moved = _move(
                message_id=message_id,
                from_status=Status.SENDING,
                to=Status.FAILED,
                kind=Kind.FAILED,
                note=_("发送超时，已尝试 %(n)d 次，放弃。") % {"n": attempts},
                where=where,
                last_error="sending timed out",
            )
        else:
            moved = _move(
                message_id=message_id,
                from_status=Status.SENDING,
                to=Status.QUEUED,
                kind=Kind.REAPED,
                note=note,
                where=where,
                send_after=now,
                handed_over_at=None,
                retries=F("retries") + 1,
                possible_duplicates=F("possible_duplicates") + (1 if handed else 0),
                last_error="sending timed out",
            )
        if moved:
            logger.warning("sms %s reaped after time-out (attempt %s, handed over: %s)", message_id, attempts, handed)
            reaped.append(message_id)
    return reaped
