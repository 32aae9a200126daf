"""Writes for notifications: queue an SMS, cancel queued ones, tell a member of staff.

Every other app sends through these three functions; the outbox rows are
claimed and sent by Celery (see tasks.py), never inside the caller's
transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from govservice.crypto import lookup_hash
from staff.models import Centre, User

from .models import Notice, SmsMessage


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
    """Queue one SMS under a natural key; queuing the same key again returns the first row."""
    message, _created = SmsMessage.objects.get_or_create(
        key=key,
        defaults={
            "phone": phone,
            "phone_hash": lookup_hash(phone),
            "template_code": template_code,
            "params": params,
            "send_after": send_after or timezone.now(),
            "centre": centre,
        },
    )
    return message


def sms_cancel(*, key_prefix: str) -> int:
    """Cancel every still-queued SMS whose key starts with `key_prefix`; returns how many."""
    return SmsMessage.objects.filter(key__startswith=key_prefix, status=SmsMessage.Status.QUEUED).update(
        status=SmsMessage.Status.CANCELLED, updated_at=timezone.now()
    )


def notice_send(*, recipient: User, key: str, text: str, url: str = "") -> Notice:
    """Tell one member of staff something, once per key."""
    notice, _created = Notice.objects.get_or_create(recipient=recipient, key=key, defaults={"text": text, "url": url})
    return notice
