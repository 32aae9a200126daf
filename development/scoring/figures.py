"""Every source of a centre-month, aggregated per person with one grouped query each."""

from __future__ import annotations

from datetime import date

from django.db.models import Avg, Count, Q, QuerySet, Sum

from cases.selectors import case_counts_by_handler
from complaints.selectors import (
    complaint_verdict_counts_by_staff,
    evaluation_counts_by_staff,
    self_triggered_evaluation_ids,
)
from govservice.models import Centre
from intake.queue.selectors import queue_counts_by_staff
from staff.models import Role, User
from staff.selectors import active_staff_with_roles

from ..models import Indicator, ManualEntry, Metric, Source, SpotCheck
from .rules import StaffFigures, month_bounds


def window_staff_of(centre: Centre) -> QuerySet[User]:
    return active_staff_with_roles(centre=centre, roles=(Role.WINDOW_STAFF,)).distinct()


def collect_figures(
    *, centre: Centre, month: date, staff: list[User], indicators: list[Indicator]
) -> tuple[dict[int, StaffFigures], dict[str, int]]:
    """Every source, aggregated per person with one grouped query each."""
    start, end = month_bounds(month)
    figures: dict[int, StaffFigures] = {u.id: StaffFigures() for u in staff}
    sources = {i.source for i in indicators}
    stats = {"self_rated_excluded": 0}

    # Evaluations: verified-invalid ones (excluded) and self-triggered ones (complaints' one
    # definition of the term) are left out.
    eval_thresholds = sorted(
        {int(i.threshold) for i in indicators if i.metric == Metric.EVAL_LEVEL_SHARE and i.threshold is not None}
    )
    self_rated = self_triggered_evaluation_ids(staff=staff, start=start, end=end)
    stats["self_rated_excluded"] = len(self_rated)
    for row in evaluation_counts_by_staff(
        centre_id=centre.id, start=start, end=end, level_thresholds=eval_thresholds, exclude_ids=self_rated
    ):
        if row["staff_id"] in figures:
            figures[row["staff_id"]].evaluations = dict(row)

    if Source.COMPLAINTS in sources:
        # Only complaints verified as founded (属实 / 部分属实) count; "pending" ones are shown, not counted.
        categories = sorted({i.complaint_category for i in indicators if i.complaint_category})
        for row in complaint_verdict_counts_by_staff(centre_id=centre.id, start=start, end=end, categories=categories):
            if row["staff_id"] in figures:
                figures[row["staff_id"]].complaints = dict(row)

    # Cases are always read: their volume normalises other indicators.
    for case_row in case_counts_by_handler(centre_id=centre.id, start=start, end=end):
        if case_row["handler_id"] in figures:
            figures[case_row["handler_id"]].cases = dict(case_row)

    if Source.SPOT_CHECKS in sources:
        seconds = sorted(
            {
                int(i.threshold)
                for i in indicators
                if i.metric == Metric.SPOT_RESPONSE_WITHIN_SHARE and i.threshold is not None
            }
        )
        spot = (
            SpotCheck.objects.filter(centre=centre, checked_at__gte=start, checked_at__lt=end)
            .values("staff_id")
            .annotate(
                n=Count("id"),
                resp_n=Count("response_seconds"),
                resp_avg=Avg("response_seconds"),
                notif_n=Count("notification_correct"),
                notif_ok=Count("id", filter=Q(notification_correct=True)),
                etiq_n=Count("etiquette_score"),
                etiq_avg=Avg("etiquette_score"),
                violations=Sum("discipline_violations"),
                **{f"within{s}": Count("id", filter=Q(response_seconds__lte=s)) for s in seconds},
            )
            .order_by()
        )
        for spot_row in spot:
            if spot_row["staff_id"] in figures:
                figures[spot_row["staff_id"]].spot = dict(spot_row)

    if Source.QUEUE in sources:
        minutes = sorted(
            {int(i.threshold) for i in indicators if i.metric == Metric.QUEUE_WAIT_WITHIN_SHARE and i.threshold}
        )
        for queue_row in queue_counts_by_staff(centre_id=centre.id, start=start, end=end, within_minutes=minutes):
            if queue_row["staff_id"] in figures:
                figures[queue_row["staff_id"]].queue = queue_row

    if Source.MANUAL in sources:
        manual = (
            ManualEntry.objects.filter(centre=centre, month=month)
            .values("staff_id", "indicator_code")
            .annotate(n=Count("id"), total=Sum("value"), avg=Avg("value"))
            .order_by()
        )
        for manual_row in manual:
            if manual_row["staff_id"] in figures:
                figures[manual_row["staff_id"]].manual[manual_row["indicator_code"]] = dict(manual_row)
    return figures, stats


def has_activity(figures: StaffFigures) -> bool:
    """Whether anything at all was recorded for the person in the month: without it there is no score (无数据)."""
    cases = figures.cases
    return bool(
        figures.evaluations.get("n")
        or cases.get("completed")
        or cases.get("accepted")
        or figures.spot.get("n")
        or figures.queue.get("n")
        or any(row.get("n") for row in figures.manual.values())
        or figures.complaints.get("n")
        or figures.complaints.get("pending")
    )
