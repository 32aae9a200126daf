"""What complaints tells the ledger (rectification.hooks): voices per problem, voices after a close-out.

The ledger sits below complaints and may not import it; `connect()` (called from
ComplaintsConfig.ready()) registers these providers in the ledger's registries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from rectification import hooks

from .models import BAD_REVIEW_LEVELS, BadReview, Complaint, Evaluation

if TYPE_CHECKING:
    from rectification.models import Problem


def _count_per_problem(queryset: QuerySet) -> Subquery:
    """A correlated count per problem: avoids join fan-out next to the ledger's other aggregates."""
    return Subquery(
        queryset.filter(problem=OuterRef("pk")).order_by().values("problem").annotate(c=Count("id")).values("c")[:1],
        output_field=IntegerField(),
    )


def complaint_count() -> Subquery:
    return _count_per_problem(Complaint.objects.all())


def bad_review_count() -> Subquery:
    return _count_per_problem(BadReview.objects.all())


def complaint_after_close_out(problem: Problem) -> str:
    """A complaint in the problem's category (and window, if it names one) received after the close-out."""
    complaints = Complaint.objects.filter(
        centre_id=problem.centre_id, category=problem.category, received_at__gt=problem.closed_at
    )
    if problem.window_id:
        complaints = complaints.filter(window_id=problem.window_id)
    first = complaints.order_by("received_at").values_list("tracking_no", flat=True).first()
    return _("销号后出现同类投诉：%(n)s") % {"n": first} if first else ""


def bad_review_after_close_out(problem: Problem) -> str:
    """A bad review at the problem's window after the close-out (bad reviews carry no category)."""
    if not problem.window_id:
        return ""
    bad = Evaluation.objects.filter(
        centre_id=problem.centre_id,
        window_id=problem.window_id,
        level__in=BAD_REVIEW_LEVELS,
        excluded=False,
        rated_at__gt=problem.closed_at,
    ).exists()
    return _("销号后该窗口出现差评") if bad else ""


def connect() -> None:
    """Register the providers; replacing by name keeps a second ready() harmless."""
    hooks.register_problem_counter("complaint_count", complaint_count)
    hooks.register_problem_counter("review_count", bad_review_count)
    # Order matters: a complaint names the recurrence before a bad review does.
    hooks.register_new_voice_provider("complaint", complaint_after_close_out)
    hooks.register_new_voice_provider("bad_review", bad_review_after_close_out)
