"""The daily reconciliation with the provincial platform: our counts against the platform's.

Every morning (beat) the outbox asks the platform, in a signed request, what it received yesterday:

    POST PROVINCE_PLATFORM_RECONCILE_URL   {"sender": "...", "date": "YYYY-MM-DD"}
    200 {"date": "YYYY-MM-DD", "received": 123,
         "acknowledged": [{"message_id": "...", "reference": "..."}]}   (the list is optional)

Acknowledgements in the answer are recorded (`platform_message_acknowledge`); then the day's row compares
the messages this system sent that day (sent_at, Asia/Shanghai) with the platform's `received`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Any

from django.conf import settings
from django.utils import timezone

from govservice import access, outbound
from govservice.exceptions import NotFound

from .models import PlatformMessage, PlatformReconciliation
from .outbox import _schemes, platform_message_acknowledge
from .registry import platform_endpoint, platform_label
from .signing import PLATFORM_HEADER, SIGNATURE_HEADER, platform_signature

logger = logging.getLogger(__name__)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, day_time.min))
    return start, start + timedelta(days=1)


def _our_counts(platform: str, day: date) -> tuple[int, int]:
    start, end = _day_bounds(day)
    messages = PlatformMessage.objects.filter(platform=platform)
    sent = messages.filter(sent_at__gte=start, sent_at__lt=end).count()
    acknowledged = messages.filter(sent_at__gte=start, sent_at__lt=end, acknowledged_at__isnull=False).count()
    return sent, acknowledged


def platform_reconcile_day(*, platform: str, day: date, url: str) -> PlatformReconciliation:
    """Ask the platform for `day`, record its acknowledgements, store the comparison (run again: replaced)."""
    endpoint = platform_endpoint(platform)
    platform_count: int | None = None
    error = ""
    if endpoint is None or not url:
        error = "not configured"
    else:
        body = json.dumps(
            {"sender": settings.PROVINCE_PLATFORM_SENDER_ID, "date": day.isoformat()}, separators=(",", ":")
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            PLATFORM_HEADER: platform,
            SIGNATURE_HEADER: platform_signature(secret=endpoint.secret, timestamp=int(time.time()), body=body),
        }
        try:
            response = outbound.request(
                "POST",
                url,
                body=body,
                headers=headers,
                schemes=_schemes(),
                connect_timeout=settings.PLATFORM_CONNECT_TIMEOUT_SECONDS,
                read_timeout=settings.PLATFORM_READ_TIMEOUT_SECONDS,
            )
        except outbound.OutboundError as exc:
            error = exc.public_message
            logger.info("platform %s reconciliation of %s: %s", platform, day, exc.detail)
        else:
            platform_count, error = _read_answer(platform, day, response)
    sent, acknowledged = _our_counts(platform, day)
    row, _created = PlatformReconciliation.objects.update_or_create(
        platform=platform,
        day=day,
        defaults={
            "sent_count": sent,
            "acknowledged_count": acknowledged,
            "platform_count": platform_count,
            "matches": platform_count is not None and platform_count == sent,
            "error": error[:500],
            "checked_at": timezone.now(),
        },
    )
    if platform_count is not None and platform_count != sent:
        logger.warning("platform %s on %s: sent %s, the platform received %s", platform, day, sent, platform_count)
    return row


def _read_answer(platform: str, day: date, response: outbound.OutboundResponse) -> tuple[int | None, str]:
    if not 200 <= response.status < 300:
        return None, f"HTTP {response.status}"
    try:
        data = json.loads(response.body.decode())
        received = data["received"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None, "unreadable answer"
    if data.get("date") != day.isoformat() or not isinstance(received, int) or received < 0:
        return None, "unreadable answer"
    for item in data.get("acknowledged") or []:
        if not isinstance(item, dict):
            continue
        try:
            platform_message_acknowledge(
                platform=platform, message_id=str(item.get("message_id")), reference=str(item.get("reference") or "")
            )
        except NotFound:
            # An acknowledgement of a message this system never sent: logged, and nothing changes.
            logger.warning("platform %s acknowledged unknown message %r", platform, item.get("message_id"))
    return received, ""


def province_reconcile_yesterday() -> PlatformReconciliation | None:
    if not settings.PROVINCE_PLATFORM_RECONCILE_URL:
        return None
    yesterday = timezone.localdate() - timedelta(days=1)
    return platform_reconcile_day(platform="province", day=yesterday, url=settings.PROVINCE_PLATFORM_RECONCILE_URL)


@dataclass(frozen=True)
class ReconciliationRow:
    platform: str
    label: str
    day: date
    sent_count: int
    acknowledged_count: int
    platform_count: int | None
    matches: bool
    error: str


def reconciliation_rows_for(*, user: Any, days: int = 14) -> list[ReconciliationRow]:
    """The last days' comparisons. Deployment-wide figures (the platform counts per deployment), so
    shown to city-wide users only; a centre's own figures are in the table above them."""
    if not (access.can_see_platform_reconciliation(user) and access.is_city_wide(user)):
        return []
    since = timezone.localdate() - timedelta(days=days)
    rows = PlatformReconciliation.objects.filter(day__gte=since).order_by("-day", "platform")
    return [
        ReconciliationRow(
            platform=r.platform,
            label=str(platform_label(r.platform)),
            day=r.day,
            sent_count=r.sent_count,
            acknowledged_count=r.acknowledged_count,
            platform_count=r.platform_count,
            matches=r.matches,
            error=outbound.public_message(r.error),
        )
        for r in rows
    ]
