"""Reads for the reconciliation page and the admin: scoped by centre here and only here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from govservice import access

from .models import PlatformMessage
from .registry import platform_endpoint, platform_label

Status = PlatformMessage.Status


def platform_messages_for(*, user: Any) -> QuerySet[PlatformMessage]:
    """The messages of the centres the user sees; nothing for a user without the page."""
    messages = PlatformMessage.objects.all()
    if not access.can_see_platform_reconciliation(user):
        return messages.none()
    if access.is_city_wide(user):
        return messages
    centre_id: int | None = getattr(user, "centre_id", None)
    return messages.filter(centre_id=centre_id) if centre_id is not None else messages.none()


@dataclass(frozen=True)
class PlatformDay:
    platform: str
    label: str
    day: date
    sent: int
    acknowledged: int
    failed: int


def platform_daily_counts(*, user: Any, days: int = 14) -> list[PlatformDay]:
    """Per platform and day (local time), newest first: messages sent, acknowledged and failed that day.

    Three aggregate queries, one per column; a day on which nothing happened is not listed. A message
    counts as failed on the day it failed and stays there until someone retries it (the retry clears it).
    """
    since = timezone.localdate() - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(since, time.min))
    scoped = platform_messages_for(user=user)
    tz = timezone.get_current_timezone()
    counts: dict[tuple[str, date], dict[str, int]] = {}
    columns = {"sent": "sent_at", "acknowledged": "acknowledged_at", "failed": "failed_at"}
    for column, field in columns.items():
        rows = (
            scoped.filter(**{f"{field}__gte": start})
            .annotate(day=TruncDate(field, tzinfo=tz))
            .values("platform", "day")
            .annotate(n=Count("id"))
        )
        for row in rows:
            counts.setdefault((row["platform"], row["day"]), {})[column] = row["n"]
    return [
        PlatformDay(
            platform=code,
            label=str(platform_label(code)),
            day=day,
            sent=values.get("sent", 0),
            acknowledged=values.get("acknowledged", 0),
            failed=values.get("failed", 0),
        )
        for (code, day), values in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True)
    ]


@dataclass(frozen=True)
class PlatformWaiting:
    platform: str
    label: str
    count: int
    oldest: datetime
    configured: bool  # False: no URL or secret here, so the messages wait until someone sets them


def platform_waiting_for(*, user: Any) -> list[PlatformWaiting]:
    """Per platform: messages written but not yet sent (queued or being sent), and since when; one query.

    Without this a platform whose address was never configured looked like a quiet day: its messages wait
    in the outbox, sent as soon as the address is set, and are listed nowhere else on the page.
    """
    rows = (
        platform_messages_for(user=user)
        .filter(status__in=[Status.QUEUED, Status.SENDING])
        .values("platform")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("platform")
    )
    return [
        PlatformWaiting(
            platform=row["platform"],
            label=str(platform_label(row["platform"])),
            count=row["n"],
            oldest=row["oldest"],
            configured=platform_endpoint(row["platform"]) is not None,
        )
        for row in rows
    ]


def platform_failed_list_for(
    *, user: Any, platform: str | None = None, day: date | None = None, limit: int = 200
) -> list[PlatformMessage]:
    """The failed messages the user may see, newest first, optionally of one platform and one day."""
    messages = platform_messages_for(user=user).filter(status=Status.FAILED).select_related("centre")
    if platform:
        messages = messages.filter(platform=platform)
    if day is not None:
        start = timezone.make_aware(datetime.combine(day, time.min))
        messages = messages.filter(failed_at__gte=start, failed_at__lt=start + timedelta(days=1))
    return list(messages.order_by("-failed_at", "-id")[:limit])


def platform_message_get_for(*, user: Any, message_id: uuid.UUID | str) -> PlatformMessage | None:
    """One message in the user's scope, or None (out of scope looks like not found)."""
    try:
        mid = uuid.UUID(str(message_id))
    except ValueError:
        return None
    return platform_messages_for(user=user).select_related("centre").filter(message_id=mid).first()
