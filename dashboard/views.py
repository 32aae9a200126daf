"""The leaders' dashboard (领导驾驶舱): figures from dashboard.figures, charts as server-made SVG (dashboard.charts)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from govservice import access
from govservice.replica import replica_view
from intake.queue.selectors import queue_heatmap_for
from staff.http import AuthenticatedHttpRequest

from .charts import bar_chart, column_chart
from .figures import DashboardFilters, dashboard_cached_for


@login_required
@replica_view
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.has_management_role(user):
        raise Http404
    filters = DashboardFilters.from_query(request.GET)
    data = dashboard_cached_for(user=user, filters=filters)
    categories_chart = bar_chart(
        [(s.label, s.count, f"{s.count}（{s.share or 0}%）", s.url) for s in data.complaints_by_category]
    )
    trend_chart = column_chart([(m.month, [(m.total, str(m.total), m.url, "bar")]) for m in data.complaints_by_month])
    satisfaction_chart = column_chart(
        [
            (
                s.label,
                [
                    (s.very_satisfied_rate or 0, f"{s.very_satisfied_rate or 0}%", s.url, "bar"),
                    (s.good_rate or 0, f"{s.good_rate or 0}%", s.url, "bar-alt"),
                ],
            )
            for s in data.satisfaction_by_month
        ],
        maximum=100,
    )
    ledger_chart = bar_chart(
        [
            (r.label, r.on_time_rate or 0, f"{r.on_time_rate if r.on_time_rate is not None else '—'}%", r.urls["total"])
            for r in data.ledger
        ],
        css="bar-alt",
        maximum=100,
    )
    context = {
        "data": data,
        "filters": filters,
        "categories_chart": categories_chart,
        "trend_chart": trend_chart,
        "satisfaction_chart": satisfaction_chart,
        "ledger_chart": ledger_chart,
        # The queue machines' hour × window map, read straight from intake (one query, not cached).
        "queue_heat": queue_heatmap_for(user=user, centre_code=filters.centre, start=filters.start, end=filters.end),
    }
    return render(request, "dashboard/dashboard.html", context)
