"""Reads for the public and channel faces of intake. No personal data leaves through these."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from complaints.models import Channel, Complaint
from complaints.selectors import COMPLAINT_FINISHED, complaint_list_unscoped, complaint_reply_due

from .models import FeedEntry

FEED_PAGE_SIZE = 500


def complaint_public_get(*, tracking_no: str) -> Complaint | None:
    return (
        complaint_list_unscoped()
        .select_related("centre", "department")
        .filter(tracking_no=tracking_no.strip().upper())
        .first()
    )


def complaint_last_update(complaint: Complaint) -> datetime:
    event = complaint.events.order_by("-created_at", "-id").first()
    return event.created_at if event is not None else complaint.received_at


def feed_list_for(*, channel: Channel, since: datetime | None, after_id: int | None = None) -> QuerySet[FeedEntry]:
    """A channel's own updates: after a cursor (entry id) if given, else since a time (default: a day ago)."""
    queryset = FeedEntry.objects.filter(channel=channel)
    if after_id is not None:
        queryset = queryset.filter(id__gt=after_id)
    else:
        queryset = queryset.filter(changed_at__gte=since or timezone.now() - timedelta(days=1))
    return queryset.order_by("id")


def public_status(complaint: Complaint) -> dict[str, Any]:
    expected = complaint_reply_due(complaint)
    return {
        "tracking_no": complaint.tracking_no,
        "kind": complaint.kind,
        "kind_display": str(complaint.get_kind_display()),
        "status": complaint.status,
        "status_display": str(complaint.get_status_display()),
        "centre": complaint.centre.name,
        "received_at": complaint.received_at,
        "updated_at": complaint_last_update(complaint),
        "expected_reply_by": expected.at,
        "is_closed": complaint.status in COMPLAINT_FINISHED,
    }
