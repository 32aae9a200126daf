"""The complaints' part of a person's open work (staff.workload): complaints and bad reviews they answer
for. Registered in ComplaintsConfig.ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from staff.models import User
from staff.workload import WorkItem, WorkProvider, register

from .models import BadReview, Complaint
from .services.takeover import BAD_REVIEW_CLOSED, COMPLAINT_CLOSED, bad_review_take_over, complaint_take_over


def _open_complaints(person: User) -> list[WorkItem]:
    complaints = Complaint.objects.filter(owner=person).exclude(status__in=COMPLAINT_CLOSED).order_by("received_at")
    return [
        WorkItem(
            kind="complaint",
            id=complaint.id,
            label=complaint.tracking_no,
            url=complaint.get_absolute_url(),
            detail=str(complaint.get_status_display()),
        )
        for complaint in complaints
    ]


def _take_over_complaint(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    complaint = complaint_take_over(
        complaint_id=item_id, from_user=from_user, to_user=to_user, actor=actor, reason=reason
    )
    return complaint.tracking_no


def _open_bad_reviews(person: User) -> list[WorkItem]:
    reviews = (
        BadReview.objects.filter(owner=person)
        .exclude(status__in=BAD_REVIEW_CLOSED)
        .select_related("evaluation")
        .order_by("created_at")
    )
    return [
        WorkItem(
            kind="bad_review",
            id=review.id,
            label=str(review.evaluation),
            url=reverse("complaints:bad-review-detail", args=[review.id]),
            detail=str(review.get_status_display()),
        )
        for review in reviews
    ]


def _take_over_bad_review(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    review = bad_review_take_over(
        bad_review_id=item_id, from_user=from_user, to_user=to_user, actor=actor, reason=reason
    )
    return str(review.evaluation)


def register_providers() -> None:
    register(
        WorkProvider(
            kind="complaint",
            title=_("承办的投诉建议"),
            open_work=_open_complaints,
            reassign=_take_over_complaint,
            order=30,
        )
    )
    register(
        WorkProvider(
            kind="bad_review",
            title=_("负责的差评处置"),
            open_work=_open_bad_reviews,
            reassign=_take_over_bad_review,
            order=40,
        )
    )
