"""The feedback overview and the monthly report."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govservice import metrics
from govservice.categories import ProblemCategory
from govservice.replica import replica_view
from staff.http import AuthenticatedHttpRequest

from .. import one_rating, selectors
from ..models import EvaluationLevel
from .common import _require_feedback_staff


@login_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The feedback figures: each from the registry (govservice.metrics), each linking to its rows."""
    user = request.user
    today = timezone.localdate()
    start = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    links: dict[str, dict[str, object]] = {
        "callback": {"real_name": "true", "state": "valid", "rated_from": start},
        "escalations_solved": {"solved_from": year_start, "solved_to": year_start.replace(month=12, day=31)},
    }
    context = {
        "month": start,
        # Kept for the API of this page's context: the same numbers the tiles show.
        "open_bad_reviews": metrics.value("bad_reviews_open", user),
        "overdue_bad_reviews": metrics.value("bad_reviews_overdue", user),
        "open_complaints": metrics.value("complaints_open", user),
        "unclassified": metrics.value("complaints_unclassified", user),
        "category_metrics": [f"complaints_open.{c}" for c in ProblemCategory.values] + ["complaints_unclassified"],
        "shares": selectors.complaint_category_shares(user=user),
        "callback": selectors.bad_review_callback_rate(user=user, start=start),
        "escalations_solved": sum(m.solved for m in selectors.escalation_monthly(user=user, year=today.year)),
        "year": today.year,
        "links": {name: urlencode(query) for name, query in links.items()},
    }
    return render(request, "complaints/overview.html", context)


@login_required
@replica_view
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_feedback_staff(request)
    by = request.GET.get("by", "month")
    if by not in ("month", "window", "channel"):
        by = "month"

    def _date(name: str) -> date | None:
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    start, end = _date("start"), _date("end")
    rows = selectors.evaluation_distribution(user=request.user, by=by, start=start, end=end)
    year = timezone.localdate().year
    context = {
        "by": by,
        "start": start,
        "end": end,
        "rows": rows,
        "totals": selectors.evaluation_totals(user=request.user, start=start, end=end),
        "counting": one_rating.counting_summary(user=request.user, start=start, end=end),
        "levels": [(level, label) for level, label in sorted(EvaluationLevel.choices, reverse=True)],
        "shares": selectors.complaint_category_shares(user=request.user, start=start, end=end),
        "escalation_months": selectors.escalation_monthly(user=request.user, year=year),
        "year": year,
    }
    return render(request, "complaints/report.html", context)
