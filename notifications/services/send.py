"""Send a claimed batch: check each message against its template, hand it to the provider once per
attempt, and record what the provider answered.

Runs in the worker, outside any transaction (the provider call is network I/O).
The second compare-and-set lives here: `handed_over_at` NULL → now on the
attempt the batch read, so a task delivered twice sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.masking import scrub

from ..backends import BaseSmsBackend, OutgoingSms, SmsPermanentError, get_backend
from ..models import SmsEvent, SmsMessage, SmsTemplate
from .outbox import (
    _by,
    _by_ids,
    _ids,
    _move,
    _move_many,
    _per_row,
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


def provider_code(template: SmsTemplate, backend: BaseSmsBackend) -> str:
    """The template's code at the configured provider ("" when the administrator has not filled it in)."""
    return str(getattr(template, backend.template_id_field, "") or "")


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
        elif backend.requires_provider_template_id and not provider_code(template, backend).strip():
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
        if backend.template_id_field == "provider_template_id":
            text = _(
                "短信模板 %(code)s 第 %(version)d 版没有服务商模板编号，当前短信通道无法发送。"
                "请在管理后台填写服务商审核通过的模板编号后重新发送。"
            ) % {"code": code, "version": template.version}
        else:  # a real provider's own code (Aliyun, Tencent Cloud): name the field to fill in
            text = _(
                "短信模板 %(code)s 第 %(version)d 版没有填写“%(field)s”，当前短信服务商无法发送。"
                "请在管理后台填写该服务商审核通过的模板编号后重新发送。"
            ) % {
                "code": code,
                "version": template.version,
                "field": getattr(SmsTemplate._meta.get_field(backend.template_id_field), "verbose_name", ""),
            }
        _fail_before_sending(group, note=text, last_error=text, result=result)
    for (code, missing_names), group in missing_params.items():
        template = templates[code]
        assert template is not None  # noqa: S101 - sorted above
        # The template gained a parameter in the admin after these messages were queued.
        _fail_before_sending(
            group,
            note=_("短信模板 %(code)s 缺少参数：%(names)s") % {"code": code, "names": "、".join(missing_names)},
            last_error=f"template {code} v{template.version} needs {', '.join(missing_names)}",
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
                template_code=provider_code(template, backend).strip(),
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
