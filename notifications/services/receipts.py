"""Delivery receipts from the provider: SENT → DELIVERED or FAILED."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from govservice.masking import mask_phone
from govservice.numbers import normalize_phone

from ..models import SmsEvent, SmsMessage
from .outbox import _move

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


@dataclass(frozen=True)
class Receipt:
    """One delivery report. `out_id` and `phone`, when the provider echoes them, must match the message
    the provider id names (a report for another message under a reused id changes nothing)."""

    provider_message_id: str
    delivered: bool
    code: str = ""
    out_id: str = ""
    phone: str = ""


def _phone_matches(reported: str, phone: str) -> bool:
    """Whether a reported number (possibly masked with `*`, e.g. Aliyun's 1381111****) can be `phone`."""
    reported = normalize_phone(reported)
    phone = normalize_phone(phone)
    return len(reported) == len(phone) and all(r in ("*", p) for r, p in zip(reported, phone, strict=True))


def _mismatch(receipt: Receipt, message: SmsMessage) -> str:
    """Why a receipt cannot be this message's ("" when it can)."""
    if receipt.out_id and not receipt.out_id.startswith(f"{message.id}-"):
        return "out_id names another message"
    if receipt.phone and not _phone_matches(receipt.phone, message.phone):
        return "number differs"
    return ""


def sms_receipts_apply(*, receipts: list[Receipt], now: datetime | None = None, source: str = "") -> dict[str, int]:
    """Apply the provider's delivery receipts: SENT → DELIVERED or FAILED. Repeats change nothing.

    A receipt for no message we know of, or one whose out_id / number belongs to another message, changes
    nothing and is logged (without the number); the caller tells the provider so.
    """
    now = now or timezone.now()
    counts = {"updated": 0, "unchanged": 0, "unknown": 0, "mismatched": 0}
    by_id = {
        m.provider_message_id: m
        for m in SmsMessage.objects.filter(
            provider_message_id__in=[r.provider_message_id for r in receipts if r.provider_message_id]
        ).only("id", "status", "provider_message_id", "phone")
    }
    for receipt in receipts:
        message = by_id.get(receipt.provider_message_id)
        if message is None:
            counts["unknown"] += 1
            logger.warning(
                "sms receipt%s for unknown provider message id %r (%s) ignored",
                f" from {source}" if source else "",
                receipt.provider_message_id[:100],
                "delivered" if receipt.delivered else f"undelivered {receipt.code[:50]}",
            )
            continue
        if reason := _mismatch(receipt, message):
            counts["mismatched"] += 1
            logger.warning(
                "sms receipt%s for provider message id %r does not match sms %s (%s, reported %s): ignored",
                f" from {source}" if source else "",
                receipt.provider_message_id[:100],
                message.id,
                reason,
                mask_phone(receipt.phone) if receipt.phone else "no number",
            )
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
