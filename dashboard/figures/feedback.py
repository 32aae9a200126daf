"""The feedback figures: complaints by category and month, satisfaction by month, window and channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from complaints import selectors as complaints_selectors
from govservice import access
from govservice.categories import ProblemCategory
from staff.models import User

from .common import _month_buckets, _month_of, _month_range, _narrowed, _rate, _scoped, _url
from .types import DashboardFilters, MonthCounts, Satisfaction, Share, _Named


def _complaint_groups(
    user: User, filters: DashboardFilters, buckets: list[tuple[str, datetime, datetime]]
) -> list[tuple[str, int, int]]:
    """The period's complaints counted by category and month index: (category, month, n).

    Summed from the complaints' day counts (kept by triggers, govservice/rollups.py), not
    from the complaints: a few rows per day instead of every complaint of the period.
    """
    days = complaints_selectors.complaint_day_counts_between(start=filters.start, end=filters.end)
    queryset = _scoped(days, user, filters)
    if filters.department:
        queryset = queryset.filter(Q(department_id=filters.department) | Q(window__department_id=filters.department))
    return list(
        queryset.order_by()
        .values("category", month=_month_of("day", buckets))
        .annotate(total=Sum("n"))
        .filter(total__gt=0)  # shards of a counter may cancel out (govservice/rollups.py)
        .values_list("category", "month", "total")
    )


def _complaints(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> tuple[list[Share], list[MonthCounts]]:
    buckets = _month_buckets(start, end)
    rows = _complaint_groups(user, filters, buckets)
    labels = dict(ProblemCategory.choices)
    per_category: dict[str, int] = {}
    per_month: dict[str, dict[str, int]] = {label: {} for label, _lower, _upper in buckets}
    for category, month, n in rows:
        per_category[category] = per_category.get(category, 0) + n
        if month >= 0:
            per_month[buckets[month][0]][category] = n
    total = sum(per_category.values())
    list_url = "complaints:complaint-list"
    narrowed = _narrowed(user, filters)
    shares = [
        Share(
            key,
            str(labels.get(key, _("未分类"))),
            per_category.get(key, 0),
            _rate(per_category.get(key, 0), total),
            _url(
                list_url,
                {"category": key or "none", "received_from": filters.start, "received_to": filters.end, **narrowed},
            ),
        )
        for key in [*ProblemCategory.values, ""]
        if key or per_category.get(key)
    ]
    months = [
        MonthCounts(
            month, sum(counts.values()), counts, _url(list_url, {**_month_range("received", month), **narrowed})
        )
        for month, counts in sorted(per_month.items())
    ]
    return shares, months


@dataclass(frozen=True)
class _EvaluationGroup:
    window_id: int | None
    channel_id: int
    level: int
    month: int  # index into the month buckets, -1 before them
    n: int


def _evaluation_groups(
    user: User, filters: DashboardFilters, buckets: list[tuple[str, datetime, datetime]]
) -> list[_EvaluationGroup]:
    """The period's evaluations (not excluded) counted by window, channel, level and month.

    Summed from the evaluations' day counts (kept by triggers, govservice/rollups.py): at most
    windows × channels × 5 levels rows per day, instead of a scan of every evaluation of the
    period (0.3–0.9 s at a million). Grouped by integer ids and the month's index only (a hash
    aggregate); the groups are bounded by windows × channels × 5 levels × months.
    """
    days = complaints_selectors.evaluation_day_counts_between(start=filters.start, end=filters.end)
    queryset = _scoped(days, user, filters)
    if filters.department:
        queryset = queryset.filter(window__department_id=filters.department)
    rows = (
        queryset.order_by()
        .values("window_id", "channel_id", "level", month=_month_of("day", buckets))
        .annotate(total=Sum("n"))
        .filter(total__gt=0)  # shards of a counter may cancel out (govservice/rollups.py)
        .values_list("window_id", "channel_id", "level", "month", "total")
    )
    return [_EvaluationGroup(*row) for row in rows]


def _satisfaction(
    groups: list[_EvaluationGroup],
    buckets: list[tuple[str, datetime, datetime]],
    names: dict[str, dict[int, _Named]],
    filters: DashboardFilters,
    *,
    user: User,
) -> tuple[list[Satisfaction], ...]:
    """Very satisfied (level 5) and good (level 3 and above) rates by month, window and channel."""
    city_wide = access.is_city_wide(user)
    list_url = "complaints:evaluation-list"
    narrowed = _narrowed(user, filters)
    period = {"rated_from": filters.start, "rated_to": filters.end, "excluded": "false", **narrowed}

    def roll(key_of) -> dict:  # noqa: ANN001
        out: dict = {}
        for g in groups:
            key = key_of(g)
            if key is None:
                continue
            n, very, good = out.get(key, (0, 0, 0))
            out[key] = (n + g.n, very + (g.n if g.level == 5 else 0), good + (g.n if g.level >= 3 else 0))
        return out

    def rates(key: str, label: str, counts: tuple[int, int, int], query: dict[str, object]) -> Satisfaction:
        n, very, good = counts
        return Satisfaction(key, label, n, _rate(very, n), _rate(good, n), _url(list_url, query))

    by_month = roll(lambda g: g.month if g.month >= 0 else None)
    months = [
        rates(label, label, by_month[i], {**_month_range("rated", label), "excluded": "false", **narrowed})
        for i, (label, _lower, _upper) in enumerate(buckets)
        if i in by_month
    ]

    # One row per window (a city-wide view names the centre: window numbers repeat across
    # centres), in window-number order; evaluations without a window first.
    no_centre = _Named("", "", None)

    def window_row(window_id: int | None, counts: tuple[int, int, int]) -> tuple[tuple[str, str], Satisfaction]:
        window = names["window"].get(window_id) if window_id else None
        if window is None:
            return ("", ""), rates("", f" {_('未关联窗口')}", counts, {**period, "window": "none"})
        centre = names["centre"].get(window.parent, no_centre) if city_wide and window.parent is not None else no_centre
        label = f"{window.code} {window.name}"
        label = f"{centre.name} · {label}" if centre.name else label
        return (centre.code, window.code), rates(window.code, label, counts, {**period, "window": window_id})

    ordered = sorted((window_row(w, c) for w, c in roll(lambda g: g.window_id or 0).items()), key=lambda r: r[0])
    windows = [row for _order, row in ordered]
    channels = []
    for channel_id, counts in roll(lambda g: g.channel_id).items():
        channel = names["channel"].get(channel_id, _Named("", "", None))
        channels.append(rates(channel.code, channel.name, counts, {**period, "channel": channel_id}))
    channels.sort(key=lambda s: s.key)
    return months, windows, channels
