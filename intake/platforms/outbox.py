"""The outbox's services: enqueue inside the caller's transaction; claim, send and record after commit.

A message's life: queued → sending → sent → acknowledged, or → queued again (back-off) → … → failed.
A failed message waits for a person (`platform_message_retry`); the later messages of its stream wait with it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from govservice import outbound
from govservice.exceptions import InvalidTransition, NotFound, ValidationFailed
from govservice.models import Centre

from .models import PlatformMessage, PlatformStream
from .registry import Endpoint, PlatformAdapter, platform_endpoint, platform_get
from .signing import IDEMPOTENCY_HEADER, MESSAGE_IDS_HEADER, PLATFORM_HEADER, SIGNATURE_HEADER, platform_signature

logger = logging.getLogger(__name__)

Status = PlatformMessage.Status

# HTTP answers worth another try: the platform is busy, down or timed out. Any other 4xx (a refused
# signature, a malformed body) will not heal by itself: the message fails at once and waits for a person.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
HTTP_ERROR_TEXT = gettext_noop("平台返回错误")
REJECTED_TEXT = gettext_noop("平台拒收")
GAVE_UP_TEXT = gettext_noop("多次重试后仍未送达")


# --- enqueue -----------------------------------------------------------------------------------


@transaction.atomic
def platform_message_enqueue(
    *, platform: str, centre: Centre | int, stream_key: str, kind: str, payload: dict[str, Any]
) -> PlatformMessage:
    """Queue one message for `platform`, in the caller's transaction: it exists only if the change that
    caused it commits. Sent after commit; after every earlier message of `stream_key`.

    `payload` must be JSON (dates as ISO strings): it is stored and sent as it is.
    """
    platform_get(platform)  # an unknown platform is a programming error, raised here and not at sending
    if not stream_key or len(stream_key) > 100:
        raise ValidationFailed(gettext("消息流编号无效。"), field="stream_key")
    json.dumps(payload)  # refuse what the JSON column would refuse later, with the caller's traceback
    stream, _created = PlatformStream.objects.get_or_create(platform=platform, stream_key=stream_key)
    # The UPDATE locks the stream's row until commit: the next message of this stream waits for it.
    PlatformStream.objects.filter(pk=stream.pk).update(last_sequence=F("last_sequence") + 1)
    sequence = PlatformStream.objects.values_list("last_sequence", flat=True).get(pk=stream.pk)
    message = PlatformMessage.objects.create(
        platform=platform,
        centre_id=centre if isinstance(centre, int) else centre.pk,
        stream_key=stream_key,
        sequence=sequence,
        kind=kind[:60],
        payload=payload,
    )
    transaction.on_commit(lambda: _kick(platform), robust=True)
    return message


def _kick(platform: str) -> None:
    from intake.tasks import platform_send

    platform_send.delay(platform)


# --- claim -------------------------------------------------------------------------------------


def _due_heads(platform: str, limit: int) -> list[int]:
    """Ids of due queued messages with no unsent elder in their stream, oldest first."""
    elder_unsent = PlatformMessage.objects.filter(
        platform=OuterRef("platform"),
        stream_key=OuterRef("stream_key"),
        sequence__lt=OuterRef("sequence"),
        status__in=PlatformMessage.UNSENT,
    )
    return list(
        PlatformMessage.objects.filter(platform=platform, status=Status.QUEUED, next_attempt_at__lte=timezone.now())
        .filter(~Exists(elder_unsent))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def platform_messages_claim(*, platform: str, limit: int) -> tuple[uuid.UUID, list[PlatformMessage]]:
    """Claim up to `limit` sendable messages for this worker (a conditional update: a message another
    worker claimed first is not ours). Returns the claim token and the claimed messages."""
    token = uuid.uuid4()
    ids = _due_heads(platform, limit)
    if not ids:
        return token, []
    now = timezone.now()
    PlatformMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
        status=Status.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    return token, list(PlatformMessage.objects.filter(claim_token=token, status=Status.SENDING).order_by("id"))


# --- send --------------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    """30 s, 1 min, 2 min, … doubling up to PLATFORM_MAX_BACKOFF_SECONDS between tries."""
    exponent = min(max(attempts - 1, 0), 20)
    return int(min(settings.PLATFORM_MAX_BACKOFF_SECONDS, 30 * 2**exponent))


def _schemes() -> tuple[str, ...]:
    return ("https", "http") if settings.PLATFORM_ALLOW_HTTP else ("https",)


def request_body(adapter: PlatformAdapter, messages: Sequence[PlatformMessage]) -> bytes:
    data = adapter.build_body(adapter.code, messages)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def request_headers(*, adapter: PlatformAdapter, endpoint: Endpoint, messages: Sequence[PlatformMessage], body: bytes):
    ids = [str(m.message_id) for m in messages]
    # One message: its id is the idempotency key. A batch: each item carries its own id (the receiver drops
    # the items it has); the header names the batch for logs only.
    key = ids[0] if len(ids) == 1 else f"batch-{ids[0]}-{len(ids)}"
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "govservice-platforms/1",
        PLATFORM_HEADER: adapter.code,
        MESSAGE_IDS_HEADER: ",".join(ids),
        IDEMPOTENCY_HEADER: key,
        SIGNATURE_HEADER: platform_signature(secret=endpoint.secret, timestamp=int(time.time()), body=body),
    }


@dataclass(frozen=True)
class SendResult:
    claimed: int
    answered: bool  # the platform answered 2xx; False: it is down or refusing, stop for now


def platform_send_batch(*, platform: str) -> SendResult:
    """Claim one batch, send it in one request, record each message's outcome."""
    adapter = platform_get(platform)
    endpoint = platform_endpoint(platform)
    if endpoint is None:
        return SendResult(claimed=0, answered=False)  # not set up here: the messages wait, nothing is lost
    token, messages = platform_messages_claim(platform=platform, limit=adapter.batch_size)
    if not messages:
        return SendResult(claimed=0, answered=True)
    body = request_body(adapter, messages)
    headers = request_headers(adapter=adapter, endpoint=endpoint, messages=messages, body=body)
    try:
        response = outbound.request(
            "POST",
            endpoint.url,
            body=body,
            headers=headers,
            schemes=_schemes(),
            connect_timeout=settings.PLATFORM_CONNECT_TIMEOUT_SECONDS,
            read_timeout=settings.PLATFORM_READ_TIMEOUT_SECONDS,
        )
    except outbound.OutboundError as exc:
        logger.info("platform %s: %d message(s) not sent: %s", platform, len(messages), exc.detail)
        _retry_later(messages, token, code=None, error=exc.public_message, detail=exc.detail)
        return SendResult(claimed=len(messages), answered=False)
    code = response.status
    if 200 <= code < 300:
        answer = adapter.read_answer(response, messages)
        _record_answer(messages, token, code=code, answer_ack=answer.acknowledged, answer_rej=answer.rejected)
        return SendResult(claimed=len(messages), answered=True)
    detail = response.body[:300].decode(errors="replace")
    if code >= 500 or code in RETRYABLE_STATUSES:
        _retry_later(messages, token, code=code, error=HTTP_ERROR_TEXT, detail=detail)
    else:
        logger.warning("platform %s refused %d message(s) with HTTP %s: %s", platform, len(messages), code, detail)
        _fail(messages, token, code=code, error=HTTP_ERROR_TEXT, detail=detail)
    return SendResult(claimed=len(messages), answered=False)


def _mine(message: PlatformMessage, token: uuid.UUID):
    # Only under this worker's claim: a claim reaped as stale and given to another worker is not ours any more.
    return PlatformMessage.objects.filter(pk=message.pk, status=Status.SENDING, claim_token=token)


def _record_answer(
    messages: Sequence[PlatformMessage],
    token: uuid.UUID,
    *,
    code: int,
    answer_ack: dict[str, str],
    answer_rej: dict[str, str],
) -> None:
    now = timezone.now()
    for message in messages:
        mid = str(message.message_id)
        common: dict[str, Any] = {"last_status_code": code, "claim_token": None, "last_error_detail": ""}
        if mid in answer_rej:
            _mine(message, token).update(
                status=Status.FAILED,
                failed_at=now,
                last_error=REJECTED_TEXT,
                **{**common, "last_error_detail": answer_rej[mid]},
            )
        elif mid in answer_ack:
            _mine(message, token).update(
                status=Status.ACKNOWLEDGED,
                sent_at=now,
                acknowledged_at=now,
                ack_reference=answer_ack[mid],
                last_error="",
                **common,
            )
        else:
            _mine(message, token).update(status=Status.SENT, sent_at=now, last_error="", **common)


def _retry_later(
    messages: Sequence[PlatformMessage], token: uuid.UUID, *, code: int | None, error: str, detail: str
) -> None:
    now = timezone.now()
    for message in messages:
        if message.attempts >= settings.PLATFORM_MAX_ATTEMPTS:
            _mine(message, token).update(
                status=Status.FAILED,
                failed_at=now,
                claim_token=None,
                last_status_code=code,
                last_error=GAVE_UP_TEXT,
                last_error_detail=(error + ": " + detail)[:500],
            )
            continue
        _mine(message, token).update(
            status=Status.QUEUED,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(message.attempts)),
            claim_token=None,
            last_status_code=code,
            last_error=error,
            last_error_detail=detail[:500],
        )


def _fail(messages: Sequence[PlatformMessage], token: uuid.UUID, *, code: int, error: str, detail: str) -> None:
    now = timezone.now()
    for message in messages:
        _mine(message, token).update(
            status=Status.FAILED,
            failed_at=now,
            claim_token=None,
            last_status_code=code,
            last_error=error,
            last_error_detail=detail[:500],
        )


def platform_send_pending(*, platform: str, max_batches: int = 50) -> int:
    """Send what is due, batch after batch, until nothing is due or the platform stops answering 2xx.

    Returns the number of messages claimed. Stopping at the first failure spares a platform that is down;
    the beat task comes back every minute and each message waits its own back-off.
    """
    claimed = 0
    for _ in range(max_batches):
        result = platform_send_batch(platform=platform)
        claimed += result.claimed
        if not result.claimed or not result.answered:
            break
    return claimed


def platform_messages_reap() -> int:
    """Put messages stuck in "sending" (their worker died mid-request) back in the queue.

    The request may have reached the platform: it is sent again with the same message id, which the
    platform drops as a repeat. Stale means older than PLATFORM_SENDING_TIMEOUT_SECONDS (well above the
    request's own time-outs), so a live worker's claim is not taken away.
    """
    stale = timezone.now() - timedelta(seconds=settings.PLATFORM_SENDING_TIMEOUT_SECONDS)
    return PlatformMessage.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.QUEUED, claim_token=None, next_attempt_at=timezone.now()
    )


def platforms_with_due_messages() -> list[str]:
    return sorted(
        set(
            PlatformMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=timezone.now())
            .values_list("platform", flat=True)
            .distinct()
        )
    )


# --- acknowledgements and retries ----------------------------------------------------------------


@transaction.atomic
def platform_message_acknowledge(*, platform: str, message_id: uuid.UUID | str, reference: str = "") -> PlatformMessage:
    """Record the platform's acknowledgement of a message (a callback, or the daily reconciliation).

    Repeating it changes nothing. An acknowledgement of a message not yet recorded as sent (its answer
    was lost) stops it from being sent again.
    """
    try:
        mid = uuid.UUID(str(message_id))
    except ValueError:
        raise NotFound() from None
    message = PlatformMessage.objects.select_for_update().filter(platform=platform, message_id=mid).first()
    if message is None:
        raise NotFound()
    if message.status == Status.ACKNOWLEDGED:
        return message
    now = timezone.now()
    message.status = Status.ACKNOWLEDGED
    message.acknowledged_at = now
    message.sent_at = message.sent_at or now
    message.ack_reference = reference[:100]
    message.claim_token = None
    message.save(update_fields=["status", "acknowledged_at", "sent_at", "ack_reference", "claim_token"])
    return message


@transaction.atomic
def platform_message_retry(*, message_id: uuid.UUID | str, actor: Any) -> PlatformMessage:
    """A person sends a failed message again (and so unblocks its stream). The caller checked access."""
    try:
        mid = uuid.UUID(str(message_id))
    except ValueError:
        raise NotFound() from None
    message = PlatformMessage.objects.select_for_update().filter(message_id=mid).first()
    if message is None:
        raise NotFound()
    if message.status != Status.FAILED:
        raise InvalidTransition(current=message.status, requested=Status.QUEUED)
    now = timezone.now()
    message.status = Status.QUEUED
    message.next_attempt_at = now
    message.attempts = 0
    message.failed_at = None
    message.retried_by = actor
    message.retried_at = now
    message.save(update_fields=["status", "next_attempt_at", "attempts", "failed_at", "retried_by", "retried_at"])
    platform = message.platform
    transaction.on_commit(lambda: _kick(platform), robust=True)
    return message
