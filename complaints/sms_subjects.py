"""Which complaint or bad review an outbox message is about ("complaint-…:<id>", "bad-review-…:<id>")."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.subjects import Subject, id_after, register_subject

from .models import BadReview, Complaint


def _complaint(prefix: str) -> Callable[[str], Subject | None]:
    def resolve(key: str) -> Subject | None:
        complaint_id = id_after(key, prefix)
        complaint = Complaint.objects.filter(id=complaint_id).first() if complaint_id else None
        if complaint is None:
            return None
        return Subject(label=_("投诉 %(no)s") % {"no": complaint.tracking_no}, url=complaint.get_absolute_url())

    return resolve


def _bad_review(prefix: str) -> Callable[[str], Subject | None]:
    def resolve(key: str) -> Subject | None:
        review_id = id_after(key, prefix)
        if not review_id or not BadReview.objects.filter(id=review_id).exists():
            return None
        return Subject(
            label=_("差评 #%(id)s") % {"id": review_id},
            url=reverse("complaints:bad-review-detail", kwargs={"pk": review_id}),
        )

    return resolve


def connect() -> None:
    for prefix in ("complaint-received:", "complaint-assigned:"):
        register_subject(prefix, _complaint(prefix))
    for prefix in ("bad-review-opened:", "bad-review-overdue:"):
        register_subject(prefix, _bad_review(prefix))
