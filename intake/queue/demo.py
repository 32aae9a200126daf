"""Demo data of the queue feed: a device per demo centre and a few days of tickets, today's still moving.

Through the ingest service, as a device would send them. Today's tickets are placed relative to the
moment of loading (the last three hours), so the live view has people waiting whatever the clock says;
some of them past the 30-minute threshold.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from govservice.selectors import centre_list
from staff.demo import DemoContext
from staff.selectors import active_staff_of, windows_of

from .models import QueueDevice, QueueTicket
from .services import queue_device_create, queue_events_ingest

MATTERS = ["营业执照", "社保参保", "公积金提取", "不动产登记", "出入境证件", "医保报销"]
PAST_DAYS = 10


def load(ctx: DemoContext) -> None:
    for centre in centre_list().filter(code__in=["city", "gxq"]).order_by("code"):
        desks = list(
            active_staff_of(centre=centre)
            .filter(window__isnull=False, window__is_active=True)
            .exclude(staff_no="")
            .values_list("window__code", "staff_no")
            .order_by("window__code", "staff_no")
        )
        windows = {code: no for code, no in desks}
        if not windows:
            windows = dict.fromkeys(windows_of(centre=centre).values_list("code", flat=True)[:6], "")
        if not windows:
            continue
        device = QueueDevice.objects.filter(centre=centre, name="演示叫号系统").first()
        fresh = device is None
        if device is None:
            device = queue_device_create(centre=centre, name="演示叫号系统").device
        now = timezone.localtime()
        events: list[dict[str, Any]] = []
        if fresh:
            for back in range(PAST_DAYS, 0, -1):
                day = (now - timedelta(days=back)).replace(hour=8, minute=30, second=0, microsecond=0)
                if day.weekday() < 5:
                    events += _a_day(ctx, windows, opens=day, minutes=9 * 60, prefix="A")
        if not QueueTicket.objects.filter(centre=centre, day=now.date()).exists():
            events += _today(ctx, windows, now)
        for start in range(0, len(events), 400):
            queue_events_ingest(device=device, items=events[start : start + 400])


def _event(kind: str, ticket: str, at: datetime, **fields: str) -> dict[str, Any]:
    return {"kind": kind, "ticket": ticket, "occurred_at": at.isoformat(), **fields}


def _served(ctx: DemoContext, windows: dict[str, str], ticket: str, taken: datetime, wait: int) -> list[dict[str, Any]]:
    window = ctx.rng.choice(sorted(windows))
    staff = {"staff_no": windows[window]} if windows[window] else {}
    called = taken + timedelta(minutes=wait)
    events = [
        _event("taken", ticket, taken, matter=ctx.rng.choice(MATTERS)),
        _event("called", ticket, called, window=window, **staff),
    ]
    if ctx.rng.random() < 0.06:
        return [*events, _event("no_show", ticket, called + timedelta(minutes=3))]
    started = called + timedelta(minutes=1)
    ended = started + timedelta(minutes=ctx.rng.randrange(4, 25))
    return [*events, _event("started", ticket, started, window=window), _event("ended", ticket, ended, window=window)]


def _a_day(
    ctx: DemoContext, windows: dict[str, str], *, opens: datetime, minutes: int, prefix: str
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    at, n = opens, 0
    while at < opens + timedelta(minutes=minutes):
        n += 1
        # Busier mid-morning and early afternoon: a heat map with a shape.
        busy = at.hour in (9, 10, 14, 15)
        wait = ctx.rng.randrange(2, 45 if busy else 20)
        events += _served(ctx, windows, f"{prefix}{n:03d}", at, wait)
        at += timedelta(minutes=ctx.rng.randrange(2, 5) if busy else ctx.rng.randrange(4, 10))
    return events


def _today(ctx: DemoContext, windows: dict[str, str], now: datetime) -> list[dict[str, Any]]:
    opens = now - timedelta(hours=3)
    events = _a_day(ctx, windows, opens=opens, minutes=130, prefix="A")
    # Still waiting: taken in the last 50 minutes, never called; the first few past the threshold.
    for n, back in enumerate((48, 41, 35, 22, 15, 9, 4), start=1):
        events.append(_event("taken", f"B{n:03d}", now - timedelta(minutes=back), matter=ctx.rng.choice(MATTERS)))
    # Being served now at two windows.
    for n, window in enumerate(sorted(windows)[:2], start=1):
        staff = {"staff_no": windows[window]} if windows[window] else {}
        taken = now - timedelta(minutes=30 + n)
        events += [
            _event("taken", f"C{n:03d}", taken, matter=ctx.rng.choice(MATTERS)),
            _event("called", f"C{n:03d}", now - timedelta(minutes=6), window=window, **staff),
            _event("started", f"C{n:03d}", now - timedelta(minutes=5), window=window),
        ]
    return events
