"""The dashboard's figures that come from the metrics registry (govservice.metrics).

The decisions of today, open complaints by category and the city's per-centre table are the
registry's figures, counted here in a few aggregate queries (the registry's own querysets, so the
number is the one a badge, the feedback overview or the list behind it shows).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import Aggregate, Count, QuerySet

from govservice import access, metrics
from govservice.categories import ProblemCategory
from staff.models import User

from .common import Pivot, _reverse, _single_rows
from .types import CentreFigures, DashboardFilters, Figure

# (the tile's key as the API has always named it, the registry's name, how loudly it speaks when not 0)
DECISIONS = [
    ("overdue_measures", "ledger_measures_overdue", "danger"),
    ("close_out_waiting", "closeouts_pending", "warn"),
    ("escalations_due", "escalations_due_soon", "danger"),
    ("escalations_open", "escalations_open", "warn"),
    ("appeals_pending", "appeals_pending", "warn"),
    ("bad_review_appeals_pending", "bad_review_appeals_pending", "warn"),
    ("bad_reviews_overdue", "bad_reviews_overdue", "danger"),
    ("bad_reviews_without_callback", "bad_reviews_awaiting_callback", "warn"),
    ("complaints_overdue", "complaints_overdue", "danger"),
    ("complaints_unclassified", "complaints_unclassified", "warn"),
    ("cases_overdue", "cases_overdue", "danger"),
    ("corrections_due_today", "corrections_due_today", "warn"),
    ("sms_failed", "sms_failed", "warn"),
]
BY_CATEGORY = [f"complaints_open.{c}" for c in ProblemCategory.values] + ["complaints_unclassified"]
# The city's per-centre table: the same figures side by side.
CENTRE_COLUMNS = [
    "complaints_open",
    "complaints_unclassified",
    "complaints_overdue",
    "bad_reviews_open",
    "bad_reviews_overdue",
    "escalations_open",
    "appeals_pending",
    "bad_review_appeals_pending",
    "ledger_problems_open",
    "ledger_measures_overdue",
    "closeouts_pending",
    "cases_overdue",
    "sms_failed",
]


def _name(user: User, filters: DashboardFilters, name: str) -> str:
    """A city-wide user who picked a centre sees that centre's figure (`name@code`)."""
    return f"{name}@{filters.centre}" if filters.centre and access.is_city_wide(user) else name


def _figure(metric: metrics.Metric, value: int, key: str, level: str = "") -> Figure:
    return Figure(
        key,
        str(metric.label),
        value,
        # Metric.url, with the list's path reversed once per request's configuration (`_reverse`).
        f"{_reverse(metric.list_url)}?{urlencode({'metric': metric.name})}",
        level if value else "",
        metric=metric.name,
        period=metric.period_label,
    )


def registry_figures(
    user: User, filters: DashboardFilters, centres: list[tuple[str, str]] | None = None
) -> tuple[list[Figure], list[Figure], list[Figure], list[CentreFigures]]:
    """Today's decisions, open complaints by category and (given the centres) the city's per-centre
    table, all in one query: one sub-select per figure, the centres as filtered counts of their column.
    """
    wanted = [(key, metrics.get(_name(user, filters, name)), level) for key, name, level in DECISIONS]
    wanted += [(name, metrics.get(_name(user, filters, name)), "") for name in BY_CATEGORY]
    parts: list[tuple[QuerySet, dict[str, Aggregate]]] = []
    for i, (_key, metric, _level) in enumerate(wanted):
        parts.append((_rows(metric, user), {f"m{i}": Count("*")}))
    columns = [metrics.get(name) for name in CENTRE_COLUMNS] if centres else []
    ordered = sorted(centres or [])  # (code, name), in code order
    # Each column's rows grouped by centre once, spread over the centres in SQL (`Pivot`): the same counts as
    # one filtered count per centre and column, at a cost that does not grow with columns × centres.
    pivots = [
        Pivot(
            _rows(metric, user),
            f"{metric.centre_field}__code",
            {f"c{j}_{k}": code for k, (code, _n) in enumerate(ordered)},
        )
        for j, metric in enumerate(columns)
        if ordered
    ]
    values = _single_rows(*parts, pivots=pivots)
    figures = [_figure(metric, values[f"m{i}"], key, level) for i, (key, metric, level) in enumerate(wanted)]
    table = [
        CentreFigures(
            code,
            name,
            [_figure(metric.for_centre(code), values[f"c{j}_{k}"], metric.name) for j, metric in enumerate(columns)],
        )
        for k, (code, name) in enumerate(ordered)
    ]
    header = [Figure(m.name, str(m.label), None, "", metric=m.name, period=m.period_label) for m in columns]
    return figures[: len(DECISIONS)], figures[len(DECISIONS) :], header, table


def _rows(metric: metrics.Metric, user: User) -> QuerySet:
    rows = metric.queryset(user)
    if not isinstance(rows, QuerySet):  # every figure counted here is rows of a table
        raise TypeError(metric.name)
    return rows
