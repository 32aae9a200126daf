"""What complaints tells the ledger (rectification.hooks): voices per problem, the voices a centre heard.

The ledger sits below complaints and may not import it; `connect()` (called from
ComplaintsConfig.ready()) registers these providers in the ledger's registries.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from rectification import hooks

from .models import BAD_REVIEW_LEVELS, BadReview, Complaint, Evaluation


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


def _complaint_voice(row: dict) -> hooks.Voice:
    return hooks.Voice(
        kind="complaint",
        ref=row["tracking_no"],
        at=row["received_at"],
        category=row["category"] or "",
        window_id=row["window_id"],
        matter_id=row["matter_type_id"],
        staff_id=row["staff_id"],
        text=row["content"] or "",
    )


_COMPLAINT_FIELDS = ("tracking_no", "received_at", "category", "window_id", "matter_type_id", "staff_id", "content")


def complaints_since(centre_id: int, since: datetime) -> list[hooks.Voice]:
    """The centre's complaints received after `since` (merged duplicates left out: their original counts)."""
    rows = (
        Complaint.objects.filter(centre_id=centre_id, received_at__gt=since, merged_into__isnull=True)
        .order_by("received_at", "id")
        .values(*_COMPLAINT_FIELDS)
    )
    return [_complaint_voice(row) for row in rows]


def bad_reviews_since(centre_id: int, since: datetime) -> list[hooks.Voice]:
    """The centre's bad reviews (not excluded) given after `since`; they carry no category."""
    rows = (
        Evaluation.objects.filter(centre_id=centre_id, level__in=BAD_REVIEW_LEVELS, excluded=False, rated_at__gt=since)
        .order_by("rated_at", "id")
        .values("public_id", "rated_at", "window_id", "matter_type_id", "staff_id", "text")
    )
    return [
        hooks.Voice(
            kind="bad_review",
            ref=_("差评 %(id)s") % {"id": str(row["public_id"])[:8]},
            at=row["rated_at"],
            window_id=row["window_id"],
            matter_id=row["matter_type_id"],
            staff_id=row["staff_id"],
            text=row["text"] or "",
        )
        for row in rows
    ]


def complaints_linked(problem_ids: list[int]) -> dict[int, list[hooks.Voice]]:
    """The complaints linked to each problem: their windows, matters and staff are the problem's too."""
    out: dict[int, list[hooks.Voice]] = {}
    rows = Complaint.objects.filter(problem_id__in=problem_ids).values("problem_id", *_COMPLAINT_FIELDS)
    for row in rows:
        out.setdefault(row["problem_id"], []).append(_complaint_voice(row))
    return out


def connect() -> None:
    """Register the providers; replacing by name keeps a second ready() harmless."""
    hooks.register_problem_counter("complaint_count", complaint_count)
    hooks.register_problem_counter("review_count", bad_review_count)
    hooks.register_new_voice_provider("complaint", complaints_since)
    hooks.register_new_voice_provider("bad_review", bad_reviews_since)
    hooks.register_linked_voice_provider("complaint", complaints_linked)
