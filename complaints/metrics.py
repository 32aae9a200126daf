"""The feedback figures, one definition each (govservice.metrics): registered in ComplaintsConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.categories import ProblemCategory
from govservice.metrics import NEXT_14_DAYS, NOW, THIS_MONTH, Metric, register
from govservice.workdays import WorkCalendar

from . import selectors
from .deadlines import (
    BAD_REVIEW_FINISHED,
    ESCALATION_WAITING,
    bad_review_rectify_overdue,
    complaint_overdue_q,
)
from .filters import escalation_due_by
from .models import BadReview, EvaluationLevel
from .rota import duty_week, week_of

COMPLAINTS = "complaints:complaint-list"
BAD_REVIEWS = "complaints:bad-review-list"


def complaints_open(user: Any) -> QuerySet:
    """Complaints and suggestions not finished (neither closed after the callback nor merged)."""
    return selectors.complaint_list_for(user=user).exclude(status__in=selectors.COMPLAINT_FINISHED)


def _open_in(category: str) -> Any:
    return lambda user: complaints_open(user).filter(category=category)


def bad_reviews_open(user: Any) -> QuerySet:
    return selectors.bad_review_list_for(user=user).exclude(status__in=BAD_REVIEW_FINISHED)


def evaluations_this_month(user: Any) -> QuerySet:
    """This month's ratings that count (not excluded, not a follow-up): the satisfaction's rows."""
    first = timezone.localdate().replace(day=1)
    return selectors.evaluation_list_for(user=user).filter(
        selectors.rated_within(first), excluded=False, follow_up_of__isnull=True
    )


def very_satisfied_rate(rows: Any) -> float | None:
    total = rows.count()
    if not total:
        return None
    very = rows.filter(level=EvaluationLevel.VERY_SATISFIED).count()
    return round(100 * very / total, 1)


@dataclass(frozen=True)
class RotaGap:
    centre_code: str
    day: date
    half: str
    reason: str


ROTA_DAYS = 14


def rota_gaps(user: Any) -> list[RotaGap]:
    """Working half-days of the next 14 days (today included) with no leader on duty, in the user's centre."""
    centre = getattr(user, "centre", None)
    if centre is None or not access.can_work_on_feedback(user):
        return []
    today = timezone.localdate()
    last = today + timedelta(days=ROTA_DAYS - 1)
    calendar = WorkCalendar.load()
    gaps = []
    monday = week_of(today)
    while monday <= last:
        for half_day in duty_week(centre=centre, monday=monday, calendar=calendar).gaps:
            if today <= half_day.day <= last:
                gaps.append(RotaGap(centre.code, half_day.day, half_day.half_label, str(half_day.gap)))
        monday += timedelta(days=7)
    return gaps


def register_metrics() -> None:
    register(
        Metric(
            "complaints_open",
            _("未办结的投诉建议（未办结、未合并）"),
            NOW,
            complaints_open,
            COMPLAINTS,
        )
    )
    for category in ProblemCategory:
        register(
            Metric(
                f"complaints_open.{category.value}",
                format_lazy(_("未办结的投诉建议：{category}"), category=category.label),
                NOW,
                _open_in(category.value),
                COMPLAINTS,
            )
        )
    register(
        Metric(
            "complaints_unclassified",
            _("未办结且尚未归类的投诉建议"),
            NOW,
            _open_in(""),
            COMPLAINTS,
        )
    )
    register(
        Metric(
            "complaints_overdue",
            _("超过答复期限仍未答复的投诉建议"),
            NOW,
            lambda user: selectors.complaint_list_for(user=user).filter(complaint_overdue_q(timezone.now())),
            COMPLAINTS,
        )
    )
    register(Metric("bad_reviews_open", _("处置中的差评（未办结、未认定无效）"), NOW, bad_reviews_open, BAD_REVIEWS))
    register(
        Metric(
            "bad_reviews_overdue",
            _("未整改且已过整改时限的差评"),
            NOW,
            lambda user: selectors.bad_review_list_for(user=user).filter(
                bad_review_rectify_overdue(timezone.localdate())
            ),
            BAD_REVIEWS,
        )
    )
    register(
        Metric(
            "bad_reviews_awaiting_callback",
            _("已整改待回访的差评"),
            NOW,
            lambda user: selectors.bad_review_list_for(user=user).filter(status=BadReview.Status.RECTIFIED),
            BAD_REVIEWS,
        )
    )
    register(
        Metric(
            "bad_review_appeals_pending",
            _("待领导复核的差评申诉"),
            NOW,
            lambda user: selectors.bad_review_list_for(user=user).filter(status=BadReview.Status.APPEALED),
            BAD_REVIEWS,
        )
    )
    register(
        Metric(
            "escalations_open",
            _("办不成事：尚未答复的反映（已登记、办理中）"),
            NOW,
            lambda user: selectors.escalation_list_for(user=user).filter(status__in=ESCALATION_WAITING),
            "complaints:escalation-list",
        )
    )
    register(
        Metric(
            "evaluations_month",
            _("本月计入统计的评价（不含无效评价和追评）"),
            THIS_MONTH,
            evaluations_this_month,
            "complaints:evaluation-list",
        )
    )
    register(
        Metric(
            "escalations_due_soon",
            _("办不成事：临近或超过 2/5 个工作日时限、尚未答复"),
            NOW,
            lambda user: selectors.escalation_list_for(user=user).filter(
                status__in=ESCALATION_WAITING, due_date__lte=escalation_due_by(timezone.localdate())
            ),
            "complaints:escalation-list",
        )
    )
    register(
        Metric(
            "satisfaction_month",
            _("非常满意率（本月计入统计的评价）"),
            THIS_MONTH,
            evaluations_this_month,
            "complaints:evaluation-list",
            compute=very_satisfied_rate,
            unit="%",
        )
    )
    register(
        Metric(
            "rota_gaps_14d",
            _("今后 14 天无领导值班的工作半天（办不成事反映窗口）"),
            NEXT_14_DAYS,
            rota_gaps,
            "complaints:duty-rota",
            by_centre=lambda rows, code: [gap for gap in rows if gap.centre_code == code],
        )
    )
