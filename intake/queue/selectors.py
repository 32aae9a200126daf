"""Reads of the queue feed: the figures per window and per staff member, the live view, the heat map.

One query per figure set over the derived ticket rows (intake.queue.models.QueueTicket); the 90th
percentile is taken in Python over that query's integers, the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from govservice import access
from govservice.models import Centre
from staff.selectors import centre_list_for

from .models import QueueSettings, QueueTicket

BY_WINDOW = "window"
BY_STAFF = "staff"


def wait_alert_minutes(centre: Centre | int) -> int:
    """The centre's waiting-alert threshold in minutes (QueueSettings.DEFAULT_WAIT_ALERT_MINUTES without a row)."""
    centre_id = centre if isinstance(centre, int) else centre.pk
    value = QueueSettings.objects.filter(centre_id=centre_id).values_list("wait_alert_minutes", flat=True).first()
    return value or QueueSettings.DEFAULT_WAIT_ALERT_MINUTES


def p90(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank: the smallest value at least 90 % of the values do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _mean(values: list[int]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _minutes(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


@dataclass
class QueueFigure:
    """One window's or one staff member's figures over a period; times in seconds."""

    key: int | None
    label: str
    tickets: int = 0  # tickets called by this window / person (no-shows included)
    served: int = 0  # service ended
    no_shows: int = 0
    waits: list[int] = field(default_factory=list, repr=False)
    services: list[int] = field(default_factory=list, repr=False)

    @property
    def wait_average(self) -> int | None:
        return _mean(self.waits)

    @property
    def wait_p90(self) -> int | None:
        return p90(self.waits)

    @property
    def wait_longest(self) -> int | None:
        return max(self.waits) if self.waits else None

    @property
    def service_average(self) -> int | None:
        return _mean(self.services)

    # Minutes, one decimal, for the screens.
    @property
    def wait_average_minutes(self) -> float | None:
        return _minutes(self.wait_average)

    @property
    def wait_p90_minutes(self) -> float | None:
        return _minutes(self.wait_p90)

    @property
    def wait_longest_minutes(self) -> float | None:
        return _minutes(self.wait_longest)

    @property
    def service_average_minutes(self) -> float | None:
        return _minutes(self.service_average)

    @property
    def no_show_rate(self) -> float | None:
        return round(100 * self.no_shows / self.tickets, 1) if self.tickets else None


def tickets_in(*, centre: Centre | int, start: date, end: date) -> QuerySet[QueueTicket]:
    """The centre's tickets of the days start … end (both included)."""
    centre_id = centre if isinstance(centre, int) else centre.pk
    return QueueTicket.objects.filter(centre_id=centre_id, day__gte=start, day__lte=end)


def _figures(rows: Iterable[dict[str, Any]], key: str, labels: dict[int, str]) -> list[QueueFigure]:
    figures: dict[int | None, QueueFigure] = {}
    for row in rows:
        k = row[key]
        figure = figures.get(k)
        if figure is None:
            figure = figures[k] = QueueFigure(key=k, label=labels.get(k, "") if k is not None else "")
        figure.tickets += 1
        figure.no_shows += row["no_show"]
        if row["wait_seconds"] is not None:
            figure.waits.append(row["wait_seconds"])
        if row["service_seconds"] is not None:
            figure.served += 1
            figure.services.append(row["service_seconds"])
    return sorted(figures.values(), key=lambda f: (f.key is None, f.label))


def queue_figures(*, centre: Centre | int, start: date, end: date, by: str = BY_WINDOW) -> list[QueueFigure]:
    """Per window (or per staff member) over the days start … end: the tickets they called.

    A ticket counts for the window / person that served it last (after a transfer, the receiving one).
    Tickets never called count nowhere here; they are in `queue_totals`.
    """
    key = "window_id" if by == BY_WINDOW else "staff_id"
    label = "window__code" if by == BY_WINDOW else "staff__name"
    rows = list(
        tickets_in(centre=centre, start=start, end=end)
        .filter(called_at__isnull=False)
        .values(key, label, "no_show", "wait_seconds", "service_seconds")
    )
    labels = {row[key]: row[label] or "" for row in rows if row[key] is not None}
    return _figures(rows, key, labels)


def queue_totals(*, centre: Centre | int, start: date, end: date) -> QueueFigure:
    """The whole centre over the days start … end: every ticket taken."""
    rows = tickets_in(centre=centre, start=start, end=end).values(
        "centre_id", "no_show", "wait_seconds", "service_seconds"
    )
    figures = _figures([dict(row) for row in rows], "centre_id", {})
    return figures[0] if figures else QueueFigure(key=None, label="")


# --- the live view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    number: str
    matter: str
    taken_at: datetime
    minutes: int
    over: bool
    transferred: bool
    window: str  # after a transfer: the window it waits for


@dataclass(frozen=True)
class AtWindow:
    window: str
    number: str
    status: str
    status_label: str
    staff: str
    since: datetime | None


@dataclass
class QueueLive:
    centre: Centre
    now: datetime
    threshold_minutes: int
    waiting: list[Waiting]
    at_windows: list[AtWindow]
    today: QueueFigure
    windows: list[QueueFigure]

    @property
    def over_threshold(self) -> list[Waiting]:
        return [w for w in self.waiting if w.over]

    def window_rows(self) -> list[tuple[str, list[AtWindow], QueueFigure | None]]:
        """One row per window: the tickets at it now, and its figures of today."""
        figures = {f.label: f for f in self.windows}
        codes = sorted({a.window for a in self.at_windows} | set(figures))
        return [(code, [a for a in self.at_windows if a.window == code], figures.get(code)) for code in codes]

    @property
    def longest_minutes(self) -> int | None:
        return max((w.minutes for w in self.waiting), default=None)

    @property
    def longest_today_minutes(self) -> float | None:
        """Today's longest wait so far: of those already called and of those still waiting (a tile that said
        26 minutes while someone had waited 49 would contradict the tile beside it)."""
        waited = [int((self.now - w.taken_at).total_seconds()) for w in self.waiting]
        if self.today.wait_longest is not None:
            waited.append(self.today.wait_longest)
        return _minutes(max(waited)) if waited else None


def queue_live(*, centre: Centre, now: datetime | None = None) -> QueueLive:
    """Who waits now (longest first), what each window is doing, and today's figures so far."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    threshold = wait_alert_minutes(centre)
    open_rows = (
        tickets_in(centre=centre, start=today, end=today)
        .filter(status__in=[QueueTicket.Status.WAITING, QueueTicket.Status.CALLED, QueueTicket.Status.SERVING])
        .values(
            "number",
            "matter",
            "status",
            "taken_at",
            "called_at",
            "started_at",
            "transferred",
            "window__code",
            "staff__name",
        )
    )
    waiting: list[Waiting] = []
    at_windows: list[AtWindow] = []
    labels = dict(QueueTicket.Status.choices)
    for row in open_rows:
        if row["status"] == QueueTicket.Status.WAITING:
            if row["taken_at"] is None:
                continue
            minutes = max(0, int((now - row["taken_at"]).total_seconds() // 60))
            waiting.append(
                Waiting(
                    number=row["number"],
                    matter=row["matter"],
                    taken_at=row["taken_at"],
                    minutes=minutes,
                    over=minutes >= threshold,
                    transferred=row["transferred"],
                    window=(row["window__code"] or "") if row["transferred"] else "",
                )
            )
        else:
            since = row["started_at"] if row["status"] == QueueTicket.Status.SERVING else row["called_at"]
            at_windows.append(
                AtWindow(
                    window=row["window__code"] or "",
                    number=row["number"],
                    status=row["status"],
                    status_label=str(labels[row["status"]]),
                    staff=row["staff__name"] or "",
                    since=since,
                )
            )
    waiting.sort(key=lambda w: (w.taken_at, w.number))
    at_windows.sort(key=lambda a: (a.window, a.number))
    return QueueLive(
        centre=centre,
        now=now,
        threshold_minutes=threshold,
        waiting=waiting,
        at_windows=at_windows,
        today=queue_totals(centre=centre, start=today, end=today),
        windows=queue_figures(centre=centre, start=today, end=today),
    )


def queue_centre_for(*, user: Any, code: str = "") -> Centre | None:
    """The centre whose queue the user watches: their own, or (city-wide) the one asked for; None when out of scope."""
    centres = centre_list_for(user=user)
    centre: Centre | None = centres.filter(code=code).first() if code else getattr(user, "centre", None)
    if centre is None and not code:
        centre = centres.first()  # city-wide without a centre of their own: the first one
    if centre is None or not access.can_watch_queue(user, centre.pk):
        return None
    return centre


# --- the heat map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatCell:
    count: int
    level: int  # 0 (none) … 4 (the busiest cell's quarter)


@dataclass
class HeatMap:
    hours: list[int]
    windows: list[str]
    cells: dict[tuple[str, int], HeatCell]
    busiest: int

    def rows(self) -> list[tuple[str, list[HeatCell]]]:
        return [(w, [self.cells.get((w, h), HeatCell(0, 0)) for h in self.hours]) for w in self.windows]


FIRST_HOUR, LAST_HOUR = 8, 18  # a centre's working day; calls outside it widen the map


def queue_heatmap(*, centre: Centre | int, start: date, end: date) -> HeatMap:
    """Tickets called per window and hour of the call (local time) over the days start … end."""
    rows = (
        tickets_in(centre=centre, start=start, end=end)
        .filter(called_at__isnull=False, window__isnull=False)
        .annotate(hour=ExtractHour("called_at"))
        .values_list("window__code", "hour")
    )
    counts: dict[tuple[str, int], int] = defaultdict(int)
    for window, hour in rows:
        counts[(window, hour)] += 1
    hours_seen = {h for _w, h in counts}
    hours = list(range(min([FIRST_HOUR, *hours_seen]), max([LAST_HOUR, *hours_seen]) + 1))
    busiest = max(counts.values(), default=0)
    cells = {
        key: HeatCell(count, max(1, math.ceil(4 * count / busiest)) if busiest else 0) for key, count in counts.items()
    }
    return HeatMap(hours=hours, windows=sorted({w for w, _h in counts}), cells=cells, busiest=busiest)


def queue_heatmap_for(*, user: Any, centre_code: str, start: date, end: date) -> tuple[Centre, HeatMap] | None:
    """The heat map of the centre the user looks at (the one chosen, else their own), None out of scope."""
    centre = queue_centre_for(user=user, code=centre_code)
    if centre is None:
        return None
    return centre, queue_heatmap(centre=centre, start=start, end=end)


def queue_counts_by_staff(
    *, centre_id: int, start: datetime, end: datetime, within_minutes: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """Per staff member, the tickets they called on the days of [start, end): one grouped query.

    Rows: staff_id, n (tickets), wait_n (with a waiting time), wait_avg_minutes, no_shows, and
    `within<m>` (tickets called within m minutes of being taken) for each m asked. The service-star
    scoring reads them (development.scoring.figures) for a scheme version with queue indicators.
    """
    first, last = timezone.localdate(start), timezone.localdate(end)
    rows = (
        QueueTicket.objects.filter(centre_id=centre_id, day__gte=first, day__lt=last, staff__isnull=False)
        .filter(called_at__isnull=False)
        .values("staff_id")
        .annotate(
            n=Count("id"),
            wait_n=Count("wait_seconds"),
            wait_avg=Avg("wait_seconds"),
            no_shows=Count("id", filter=Q(no_show=True)),
            **{f"within{m}": Count("id", filter=Q(wait_seconds__lte=m * 60)) for m in within_minutes},
        )
        .order_by()
    )
    result: list[dict[str, Any]] = []
    for row in rows:
        out: dict[str, Any] = dict(row)
        average = out.pop("wait_avg")
        out["wait_avg_minutes"] = None if average is None else round(float(average) / 60, 2)
        result.append(out)
    return result
