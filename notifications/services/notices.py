"""In-app notices to staff."""

from __future__ import annotations

from django.utils import timezone

from govservice.masking import scrub
from staff.models import User

from ..models import Notice


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
