"""The feedback overview and the monthly report."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from staff.http import AuthenticatedHttpRequest

from .. import one_rating, selectors
from ..deadlines import (
    BAD_REVIEW_FINISHED,
    COMPLAINT_FINISHED,
    bad_review_rectify_overdue,
)
from ..models import EvaluationLevel
from .common import _require_feedback_staff


@login_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = today.replace(day=1)
    totals = selectors.evaluation_totals(user=request.user, start=start)
    bad_reviews = selectors.bad_review_list_for(user=request.user)
    complaints = selectors.complaint_list_for(user=request.user)
    year_start = today.replace(month=1, day=1)
    # Each tile links to the list filtered to exactly the rows it counts (the same definitions
    # as the list filters in complaints/filters.py).
    links: dict[str, dict[str, object]] = {
        "evaluations": {"rated_from": start, "excluded": "false", "follow_up": "false"},
        "callback": {"real_name": "true", "state": "valid", "rated_from": start},
        "escalations_solved": {"solved_from": year_start, "solved_to": year_start.replace(month=12, day=31)},
    }
    context = {
        "totals": totals,
        "month": start,
        "open_bad_reviews": bad_reviews.exclude(status__in=BAD_REVIEW_FINISHED).count(),
        "overdue_bad_reviews": bad_reviews.filter(bad_review_rectify_overdue(today)).count(),
        "open_complaints": complaints.exclude(status__in=COMPLAINT_FINISHED).count(),
        "unclassified": complaints.filter(category="").count(),
        "shares": selectors.complaint_category_shares(user=request.user),
        "callback": selectors.bad_review_callback_rate(user=request.user, start=start),
        "escalations_solved": sum(m.solved for m in selectors.escalation_monthly(user=request.user, year=today.year)),
        "links": {name: urlencode(query) for name, query in links.items()},
    }
    return render(request, "complaints/overview.html", context)


@login_required
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
