"""Writes for notifications: queue an SMS, cancel queued ones, tell a member of staff,
and the outbox machinery (claim, send, reap, receipts, templates).

Every other app sends through `sms_enqueue` / `sms_cancel` / `notice_send`.
The outbox rows are claimed by the beat task and sent by the worker (tasks.py),
never inside the caller's transaction.

Exactly-once, as far as it can be had: a message moves QUEUED → SENDING only
through a conditional UPDATE (whoever changes the row owns the attempt), the
send task hands over to the provider only after a second conditional UPDATE
on its own attempt number, and the reaper takes back a message whose worker
went silent. The only duplicate left is a worker dying after the provider
took the message but before the row said so: that case is counted
(`possible_duplicates`) and recorded.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.crypto import lookup_hash
from govservice.exceptions import ValidationFailed
from govservice.masking import scrub
from staff.models import Centre, User

from .backends import OutgoingSms, SmsPermanentError, get_backend
from .models import Notice, SmsEvent, SmsMessage, SmsTemplate

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SEND_WINDOW = (time(8, 0), time(20, 0))  # Asia/Shanghai: no SMS at night


def max_attempts() -> int:
    return int(getattr(settings, "SMS_MAX_ATTEMPTS", 5))


def sending_timeout() -> timedelta:
    """How long a claimed message may stay in SENDING before the reaper takes it back.

    Far above the gateway time-out, so a slow but live worker is not overtaken.
    """
    return timedelta(seconds=int(getattr(settings, "SMS_SENDING_TIMEOUT_SECONDS", 600)))


def backoff(attempt: int) -> timedelta:
    """30 s, 60 s, 2 min, 4 min, ... capped at 1 h; kept in send_after, never as a Celery countdown."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 3600))


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s-]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


# --- Templates -------------------------------------------------------------------------------


def sms_template_current(*, code: str) -> SmsTemplate | None:
    """The newest version of a template, or None if there is none or it was switched off."""
    template = SmsTemplate.objects.filter(code=code).order_by("-version").first()
    if template is None or not template.is_active:
        return None
    return template


@transaction.atomic
def sms_template_publish(
    *,
    code: str,
    name: str,
    sign_name: str,
    provider_template_id: str,
    param_names: list[str],
    text: str,
    allow_night: bool = False,
    is_active: bool = True,
    actor: User | None = None,
) -> SmsTemplate:
    """Save a template as its next version; earlier versions stay as they were sent."""
    _check_template_text(text=text, param_names=param_names)
    # Lock the code's rows so two admins saving at once get versions n+1 and n+2.
    latest = SmsTemplate.objects.select_for_update().filter(code=code).aggregate(latest=Max("version"))["latest"] or 0
    return SmsTemplate.objects.create(
        code=code,
        version=latest + 1,
        name=name,
        sign_name=sign_name,
        provider_template_id=provider_template_id,
        param_names=list(param_names),
        text=text,
        allow_night=allow_night,
        is_active=is_active,
        created_by=actor,
    )


def _check_template_text(*, text: str, param_names: list[str]) -> None:
    if len(set(param_names)) != len(param_names):
        raise ValidationFailed(_("参数名重复。"), field="param_names")
    placeholders = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", text)
    unknown = sorted(set(placeholders) - set(param_names))
    if unknown:
        raise ValidationFailed(_("正文中的占位符没有对应参数：%(names)s") % {"names": "、".join(unknown)}, field="text")


# --- The outbox: queue and cancel ------------------------------------------------------------------


@transaction.atomic
def sms_enqueue(
    *,
    key: str,
    phone: str,
    template_code: str,
    params: dict[str, Any],
    send_after: datetime | None = None,
    centre: Centre | None = None,
) -> SmsMessage:
    """Queue one SMS under a natural key; queuing the same key again returns the first row.

    Checked now: the number must be a mainland mobile number, and when the
    template exists every one of its parameters must be given. A message that
    fails a check is still stored, as FAILED with the reason, instead of
    raising: callers queue from on_commit hooks and background tasks, where an
    exception would break the caller's own work, and a failed message shows on
    the leaders' outbox list. A template created later in the admin is still
    honoured at send time.
    """
    existing = SmsMessage.objects.filter(key=key).first()
    if existing is not None:
        return existing
    phone = normalize_phone(phone)
    problem = ""
    if not MOBILE_RE.match(phone):
        problem = _("手机号格式不正确。")
    else:
        template = sms_template_current(code=template_code)
        missing = template_missing_params(template, params) if template else []
        if missing:
            problem = _("短信模板 %(code)s 缺少参数：%(names)s") % {"code": template_code, "names": "、".join(missing)}
    message, created = SmsMessage.objects.get_or_create(
        key=key,
        defaults={
            "phone": phone,
            "phone_hash": lookup_hash(phone),
            "template_code": template_code,
            "params": params,
            "send_after": send_after or timezone.now(),
            "centre": centre,
            "status": Status.FAILED if problem else Status.QUEUED,
            "last_error": scrub(problem)[:500],
        },
    )
    if created:
        SmsEvent.objects.create(
            message=message,
            kind=SmsEvent.Kind.FAILED if problem else Kind.QUEUED,
            old_status="",
            new_status=message.status,
            note=scrub(problem),
        )
        if problem:
            logger.warning("sms %s not queued: %s", message.id, scrub(problem))
    return message


def template_missing_params(template: SmsTemplate, params: dict[str, Any]) -> list[str]:
    return [name for name in template.param_names if name not in params]


@transaction.atomic
def sms_cancel(*, key_prefix: str) -> int:
    """Cancel every still-queued SMS whose key starts with `key_prefix`; returns how many.

    A message already claimed by a worker is past cancelling: it is on its way.
    """
    if not key_prefix:
        raise ValidationFailed(_("取消短信须指定键前缀。"), field="key_prefix")
    cancelled = 0
    ids = SmsMessage.objects.filter(key__startswith=key_prefix, status=Status.QUEUED).values_list("id", flat=True)
    for message_id in list(ids):
        if _move(message_id=message_id, from_status=Status.QUEUED, to=Status.CANCELLED, kind=Kind.CANCELLED):
            cancelled += 1
    return cancelled


# --- The one transition function ---------------------------------------------------------------------


def _move(
    *,
    message_id: int,
    from_status: str,
    to: str,
    kind: str,
    note: str = "",
    where: dict[str, Any] | None = None,
    **updates: Any,
) -> bool:
    """Compare-and-set one message from `from_status` to `to` and record it; False if someone else moved it.

    `where` narrows the condition (e.g. the attempt number this worker owns).
    Every status change of an SMS goes through here.
    """
    if to != from_status and to not in SmsMessage.TRANSITIONS[from_status]:
        raise ValueError(f"SMS transition {from_status} → {to} is not allowed")
    with transaction.atomic():
        changed = SmsMessage.objects.filter(id=message_id, status=from_status, **(where or {})).update(
            status=to, updated_at=timezone.now(), **updates
        )
        if changed:
            attempt = SmsMessage.objects.filter(id=message_id).values_list("attempts", flat=True).first() or 0
            SmsEvent.objects.create(
                message_id=message_id,
                kind=kind,
                old_status=from_status,
                new_status=to,
                attempt=attempt,
                note=scrub(note)[:500],
            )
    return bool(changed)


# --- Dispatch: claim due messages ------------------------------------------------------------------


def in_send_window(moment: datetime) -> bool:
    local = timezone.localtime(moment).time()
    start, end = SEND_WINDOW
    return start <= local < end


def next_window_start(moment: datetime) -> datetime:
    """The next 08:00 local time strictly after today's window (for a deferral to tomorrow)."""
    local = timezone.localtime(moment)
    start = SEND_WINDOW[0]
    candidate = local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


def _day_start(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(hour=0, minute=0, second=0, microsecond=0)


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
            from .tasks import sms_send_task

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


# --- Delivery receipts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    delivered: bool
    code: str = ""


def sms_receipts_apply(*, receipts: list[Receipt], now: datetime | None = None) -> dict[str, int]:
    """Apply the provider's delivery receipts: SENT → DELIVERED or FAILED. Repeats change nothing."""
    now = now or timezone.now()
    counts = {"updated": 0, "unchanged": 0, "unknown": 0}
    by_id = {
        m.provider_message_id: m
        for m in SmsMessage.objects.filter(
            provider_message_id__in=[r.provider_message_id for r in receipts if r.provider_message_id]
        ).only("id", "status", "provider_message_id")
    }
    for receipt in receipts:
        message = by_id.get(receipt.provider_message_id)
        if message is None:
            counts["unknown"] += 1
            continue
        if receipt.delivered:
            moved = _move(
                message_id=message.id,
                from_status=Status.SENT,
                to=Status.DELIVERED,
                kind=Kind.DELIVERED,
                note=receipt.code,
                delivered_at=now,
            )
        else:
            moved = _move(
                message_id=message.id,
                from_status=Status.SENT,
                to=Status.FAILED,
                kind=Kind.UNDELIVERED,
                note=receipt.code,
                last_error=f"undelivered: {receipt.code}"[:500],
            )
        counts["updated" if moved else "unchanged"] += 1
    return counts


# --- In-app notices --------------------------------------------------------------------------------


def notice_send(*, recipient: User, key: str, text: str, url: str = "") -> Notice:
    """Tell one member of staff something, once per key."""
    notice, _created = Notice.objects.get_or_create(
        recipient=recipient, key=key, defaults={"text": scrub(text)[:500], "url": url[:300]}
    )
    return notice


def notice_mark_read(*, user: User, notice_id: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) as read; returns how many changed."""
    queryset = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_id is not None:
        queryset = queryset.filter(id=notice_id)
    return queryset.update(read_at=timezone.now())
