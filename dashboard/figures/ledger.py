"""The ledger's figures: problems by category (and centre), on-time close-outs, overdue measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from govservice import access
from govservice.categories import ProblemCategory
from rectification import selectors as rectification_selectors
from rectification.models import Problem
from staff.models import User

from .common import _rate, _scoped, _url
from .types import DashboardFilters, LedgerRow, _Named

S = Problem.Status


_LEDGER_COUNTS = ("open", "in_rectification", "close_out_applied", "closed", "overdue", "closed_on_time")


def _ledger_row(key: str, label: str, values: dict[str, int], query: Mapping[str, object]) -> LedgerRow:
    counts = {k: values.get(k) or 0 for k in _LEDGER_COUNTS}
    item = LedgerRow(
        key=key,
        label=label,
        open=counts["open"],
        in_rectification=counts["in_rectification"],
        close_out_applied=counts["close_out_applied"],
        closed=counts["closed"],
        overdue=counts["overdue"],
        closed_on_time=counts["closed_on_time"],
    )
    item.on_time_rate = _rate(item.closed_on_time, item.closed + item.overdue)
    item.urls = {
        "total": _url("rectification:ledger", query),
        "overdue": _url("rectification:ledger", {**query, "overdue": 1}),
        **{status: _url("rectification:ledger", {**query, "status": status}) for status in S.values},
    }
    return item


@dataclass
class _Ledger:
    rows: list[LedgerRow]
    total: LedgerRow
    per_centre: dict[int, dict[str, int]]  # city-wide users: counts by centre id, labelled once names are read
    overdue_measures: QuerySet  # counted with the other single figures


def _ledger(user: User, filters: DashboardFilters, today: date) -> _Ledger:
    problems = _scoped(rectification_selectors.problem_list_unscoped(), user, filters)
    facts = rectification_selectors.problem_deadline_facts(
        problems=problems, department=filters.department, today=today
    )
    counts = {
        "open": Count("id", filter=Q(status=S.OPEN)),
        "in_rectification": Count("id", filter=Q(status=S.IN_RECTIFICATION)),
        "close_out_applied": Count("id", filter=Q(status=S.CLOSE_OUT_APPLIED)),
        "closed": Count("id", filter=Q(status=S.CLOSED)),
        "overdue": Count("id", filter=~Q(status=S.CLOSED) & Q(has_overdue=True)),
        "closed_on_time": Count("id", filter=Q(status=S.CLOSED, closed_on__lte=F("last_deadline"))),
    }
    # One query: by category, and for city-wide users by centre × category, rolled up here.
    keys = ["centre_id", "category"] if access.is_city_wide(user) else ["category"]
    by_category: dict[str, dict[str, int]] = {}
    by_centre: dict[int, dict[str, int]] = {}
    for group in facts.problems.order_by().values(*keys).annotate(**counts):
        buckets = [by_category.setdefault(group["category"], {})]
        if access.is_city_wide(user):
            buckets.append(by_centre.setdefault(group["centre_id"], {}))
        for bucket in buckets:
            for k in counts:
                bucket[k] = bucket.get(k, 0) + group[k]
    base_query = {"department": filters.department or "", "centre": filters.centre}
    rows = [
        _ledger_row(c.value, str(c.label), by_category.get(c.value, {}), {**base_query, "category": c.value})
        for c in ProblemCategory
    ]
    total = _ledger_row("all", _("合计"), {k: sum(getattr(r, k) for r in rows) for k in counts}, base_query)
    return _Ledger(rows, total, by_centre, facts.overdue_measures)


def _centre_rows(ledger: _Ledger, centres: dict[int, _Named], filters: DashboardFilters) -> list[LedgerRow]:
    """The per-centre comparison in centre-code order, each number a link to that centre's ledger."""
    department = filters.department or ""
    rows = [
        _ledger_row(centre.code, centre.name, counts, {"department": department, "centre": centre.code})
        for centre_id, counts in ledger.per_centre.items()
        if (centre := centres.get(centre_id)) is not None
    ]
    return sorted(rows, key=lambda r: r.key)
