"""A person is away or leaving: a leader hands the complaints and bad reviews they answer for to someone
else (staff.workload). Each move is a history line of the record, with who did it and why."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.masking import scrub
from staff.models import User

from ..models import BadReview, Complaint, ComplaintEvent, EvaluationEvent

COMPLAINT_CLOSED = frozenset({Complaint.Status.CLOSED, Complaint.Status.MERGED, Complaint.Status.RETURNED})
BAD_REVIEW_CLOSED = frozenset({BadReview.Status.CLOSED, BadReview.Status.EXCLUDED})


def _check(actor: User, to_user: User, centre_id: int) -> None:
    if not access.can_reassign_work(actor, centre_id):
        raise NotPermitted(_("只有本中心领导可以转交他人的工作。"))
    if not to_user.is_active or to_user.centre_id != centre_id:
        raise ValidationFailed(_("请选择本中心另一名在岗人员。"), field="to_user")


def _note(actor: User, from_user: User, to_user: User, reason: str) -> str:
    return _("%(actor)s 将承办人由 %(old)s 改为 %(new)s：%(reason)s") % {
        "actor": actor,
        "old": from_user,
        "new": to_user,
        "reason": scrub(reason.strip()),
    }


@transaction.atomic
def complaint_take_over(*, complaint_id: int, from_user: User, to_user: User, actor: User, reason: str) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(id=complaint_id)
    _check(actor, to_user, complaint.centre_id)
    if complaint.status in COMPLAINT_CLOSED or complaint.owner_id != from_user.id:
        raise Conflict(
            _("投诉建议 %(no)s 已不由 %(person)s 承办。") % {"no": complaint.tracking_no, "person": from_user}
        )
    ComplaintEvent.objects.create(complaint=complaint, actor=actor, note=_note(actor, from_user, to_user, reason))
    complaint.owner = to_user
    complaint.save(update_fields=["owner", "updated_at"])
    return complaint


@transaction.atomic
def bad_review_take_over(*, bad_review_id: int, from_user: User, to_user: User, actor: User, reason: str) -> BadReview:
    bad_review = BadReview.objects.select_for_update().select_related("evaluation").get(id=bad_review_id)
    _check(actor, to_user, bad_review.centre_id)
    if bad_review.status in BAD_REVIEW_CLOSED or bad_review.owner_id != from_user.id:
        raise Conflict(_("差评 %(no)s 已不由 %(person)s 负责。") % {"no": bad_review.evaluation, "person": from_user})
    EvaluationEvent.objects.create(
        evaluation_id=bad_review.evaluation_id,
        action="reassigned",
        actor=actor,
        note=_note(actor, from_user, to_user, reason),
    )
    bad_review.owner = to_user
    bad_review.save(update_fields=["owner", "updated_at"])
    return bad_review
