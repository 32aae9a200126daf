"""The leaders' dashboard (领导驾驶舱): figures from rectification.dashboard, charts as server-made SVG."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from staff.models import Role

from .dashboard import DashboardFilters, dashboard_cached_for

DASHBOARD_ROLES = (Role.LEADER, Role.CITY_LEADER, Role.CENTRE_ADMIN, Role.CITY_ADMIN)


def bar_chart(
    items: list[tuple[str, float, str, str]], *, css: str = "bar", maximum: float | None = None
) -> SafeString:
    """Horizontal bars: (label, value, shown text, url). Numbers are links to the list behind them."""
    height = 34 * max(len(items), 1) + 10
    top = maximum or max((value for _l, value, _t, _u in items), default=0) or 1
    rows = []
    for i, (label, value, text, url) in enumerate(items):
        y = 10 + i * 34
        width = round(330 * value / top)
        number = (
            format_html(
                '<a href="{}"><text x="{}" y="{}" class="chart-number">{}</text></a>',
                url,
                200 + width + 8,
                y + 18,
                text,
            )
            if url
            else format_html('<text x="{}" y="{}" class="chart-number">{}</text>', 200 + width + 8, y + 18, text)
        )
        rows.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text><rect x="200" y="{}" width="{}" height="22" class="{}"></rect>{}',
                y + 16,
                label,
                y,
                width,
                css,
                number,
            )
        )
    return format_html(
        '<svg viewBox="0 0 680 {}" role="img" class="chart-svg">{}</svg>',
        height,
        format_html_join("", "{}", ((r,) for r in rows)),
    )


def column_chart(
    groups: list[tuple[str, list[tuple[float, str, str, str]]]], *, maximum: float | None = None
) -> SafeString:
    """Vertical bars per group: (group label, [(value, shown text, url, css class)])."""
    series = max((len(bars) for _g, bars in groups), default=1) or 1
    top = maximum or max((v for _g, bars in groups for v, *_ in bars), default=0) or 1
    group_width = 660 / max(len(groups), 1)
    bar_width = min(40, (group_width - 10) / series)
    parts = []
    for gi, (label, bars) in enumerate(groups):
        x0 = 20 + gi * group_width
        for bi, (value, text, url, css) in enumerate(bars):
            h = round(180 * value / top)
            x = x0 + bi * bar_width
            rect = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="{}"></rect>',
                round(x),
                200 - h,
                round(bar_width - 4),
                h,
                css,
            )
            number = format_html(
                '<text x="{}" y="{}" class="chart-number chart-small">{}</text>', round(x), 195 - h, text
            )
            parts.append(format_html('<a href="{}">{}{}</a>', url, rect, number) if url else rect + number)
        parts.append(format_html('<text x="{}" y="220" class="chart-label chart-small">{}</text>', round(x0), label))
    return format_html(
        '<svg viewBox="0 0 700 230" role="img" class="chart-svg">{}</svg>',
        format_html_join("", "{}", ((p,) for p in parts)),
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_role(*DASHBOARD_ROLES):
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
    }
    return render(request, "rectification/dashboard.html", context)
