"""Delivery receipts from the provider: SENT → DELIVERED or FAILED."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from ..models import SmsEvent, SmsMessage
from .outbox import _move

logger = logging.getLogger(__name__)

Status = SmsMessage.Status
Kind = SmsEvent.Kind


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
