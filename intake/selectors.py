"""Reads for the public and channel faces of intake. No personal data leaves through these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from complaints.models import Channel, Complaint
from govservice import workdays

from .models import FeedEntry

# The reply promise for a complaint: 12345 practice is 5 working days to handle an order
# (practice.md §3). The complaints app keeps no per-complaint due date, so intake derives it.
COMPLAINT_REPLY_WORKING_DAYS = 5
FEED_PAGE_SIZE = 500


@dataclass(frozen=True)
class Expected:
    at: datetime
    provisional: bool


def complaint_expected(complaint: Complaint, calendar: workdays.WorkCalendar | None = None) -> Expected:
    """The reply promise; pass one loaded calendar when computing it for many rows."""
    start: date = timezone.localtime(complaint.received_at).date()
    result = (calendar or workdays.WorkCalendar.load()).add_working_days(start, COMPLAINT_REPLY_WORKING_DAYS)
    end_of_day = timezone.make_aware(datetime.combine(result.date, time(17, 30)))
    return Expected(at=end_of_day, provisional=result.provisional)


def complaint_public_get(*, tracking_no: str) -> Complaint | None:
    return (
        Complaint.objects.select_related("centre", "department").filter(tracking_no=tracking_no.strip().upper()).first()
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
    expected = complaint_expected(complaint)
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
        "is_closed": complaint.status in (Complaint.Status.CLOSED, Complaint.Status.MERGED),
    }
