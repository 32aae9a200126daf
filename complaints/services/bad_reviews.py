"""Writes for the bad-review flow: contact, verify, rectify, call back; or appeal; then one follow-up rating."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access, workdays
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre
from rectification.models import Problem
from staff.models import Role, User
from staff.selectors import active_staff_with_roles

from ..deadlines import bad_review_days
from ..models import BadReview, Evaluation, EvaluationEvent, EvaluationLevel, FeedbackPolicy
from .common import _local_date, feedback_reported, record_changed_after_commit


def _default_owner(centre: Centre) -> User | None:
    """Who answers for a bad review until someone reassigns it: the centre admin, else a leader."""
    admin_first = SqlCase(When(roles__role=Role.CENTRE_ADMIN, then=Value(0)), default=Value(1))
    return (
        active_staff_with_roles(centre=centre, roles=(Role.CENTRE_ADMIN, Role.LEADER))
        .annotate(admin_first=admin_first)
        .order_by("admin_first", "id")
        .first()
    )


def _bad_review_open(evaluation: Evaluation) -> BadReview:
    contact_days, rectify_days = bad_review_days(evaluation.centre_id)
    start = _local_date(evaluation.rated_at)
    owner = _default_owner(evaluation.centre)
    calendar = workdays.WorkCalendar.load()  # once for both dates
    bad_review = BadReview.objects.create(
        evaluation=evaluation,
        centre=evaluation.centre,
        owner=owner,
        contact_due=calendar.add_working_days(start, contact_days).date,
        rectify_due=calendar.add_working_days(start, rectify_days).date,
    )
    EvaluationEvent.objects.create(evaluation=evaluation, action="bad_review_opened", new_status=BadReview.Status.OPEN)
    # The feed and the owner's notice: one outbox message, run after the response (govservice/outbox.py).
    record_changed_after_commit(evaluation, task="complaints.tasks.bad_review_opened_task", task_args=(bad_review.id,))
    return bad_review


def _bad_review_move(bad_review: BadReview, to: str, *, actor: User | None, action: str, note: str = "") -> None:
    if to not in BadReview.TRANSITIONS[bad_review.status]:
        raise InvalidTransition(
            current=str(BadReview.Status(bad_review.status).label), requested=str(BadReview.Status(to).label)
        )
    EvaluationEvent.objects.create(
        evaluation_id=bad_review.evaluation_id,
        action=action,
        old_status=bad_review.status,
        new_status=to,
        actor=actor,
        note=note,
    )
    bad_review.status = to
    record_changed_after_commit(bad_review.evaluation)


def _lock_bad_review(bad_review_id: int) -> BadReview:
    return BadReview.objects.select_for_update().select_related("evaluation").get(id=bad_review_id)


@transaction.atomic
def bad_review_contact(*, bad_review_id: int, actor: User, note: str = "") -> BadReview:
    """The citizen was contacted (first step, due within the policy's contact days)."""
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_handle_bad_review(actor, bad_review):
        raise NotPermitted()
    if bad_review.status == BadReview.Status.CONTACTED:
        return bad_review
    _bad_review_move(bad_review, BadReview.Status.CONTACTED, actor=actor, action="contacted", note=note)
    bad_review.contacted_at = timezone.now()
    bad_review.save(update_fields=["status", "contacted_at", "updated_at"])
    feedback_reported(bad_review, "contacted")
    return bad_review


@transaction.atomic
def bad_review_verify(
    *,
    bad_review_id: int,
    verdict: str,
    actor: User,
    note: str = "",
    is_complex: bool = False,
    problem: Problem | None = None,
) -> BadReview:
    """Record the verification verdict and route the flow.

    true / partly true → rectify (complex ones get the longer deadline and must link a ledger problem);
    untrue → straight to the callback (an explanation is the rectification);
    mistaken / malicious → the appeal route, decided by a leader.
    """
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_handle_bad_review(actor, bad_review):
        raise NotPermitted()
    if verdict not in BadReview.Verdict.values:
        raise ValidationFailed(_("核实结论无效。"), field="verdict")
    if problem is not None and problem.centre_id != bad_review.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="problem")
    if verdict in (BadReview.Verdict.TRUE, BadReview.Verdict.PARTLY):
        to = BadReview.Status.RECTIFYING
        if is_complex:
            if problem is None:
                raise ValidationFailed(_("复杂问题须关联整改台账中的问题。"), field="problem")
            policy = FeedbackPolicy.for_centre(bad_review.centre)
            start = _local_date(bad_review.evaluation.rated_at)
            bad_review.rectify_due = workdays.add_working_days(start, policy.complex_rectify_days).date
    elif verdict == BadReview.Verdict.UNTRUE:
        to = BadReview.Status.RECTIFIED
        bad_review.rectified_at = timezone.now()
    else:
        to = BadReview.Status.APPEALED
        if not note.strip():
            raise ValidationFailed(_("申诉复核须写明理由。"), field="note")
        bad_review.appeal_reason = note.strip()
    _bad_review_move(bad_review, to, actor=actor, action=f"verified:{verdict}", note=note)
    bad_review.verdict = verdict
    bad_review.verify_note = note.strip()
    bad_review.is_complex = is_complex and to == BadReview.Status.RECTIFYING
    bad_review.problem = problem or bad_review.problem
    bad_review.save()
    feedback_reported(bad_review, "verified")
    return bad_review


@transaction.atomic
def bad_review_rectify(*, bad_review_id: int, rectification: str, actor: User) -> BadReview:
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_handle_bad_review(actor, bad_review):
        raise NotPermitted()
    if not rectification.strip():
        raise ValidationFailed(_("请填写整改措施。"), field="rectification")
    _bad_review_move(bad_review, BadReview.Status.RECTIFIED, actor=actor, action="rectified", note=rectification)
    bad_review.rectification = rectification.strip()
    bad_review.rectified_at = timezone.now()
    bad_review.save(update_fields=["status", "rectification", "rectified_at", "updated_at"])
    feedback_reported(bad_review, "rectified")
    return bad_review


@transaction.atomic
def bad_review_callback(*, bad_review_id: int, satisfied: bool, note: str, actor: User) -> BadReview:
    """The callback (回访) closes the flow; the citizen may then give one follow-up rating."""
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_handle_bad_review(actor, bad_review):
        raise NotPermitted()
    _bad_review_move(bad_review, BadReview.Status.CLOSED, actor=actor, action="called_back", note=note)
    bad_review.callback_satisfied = satisfied
    bad_review.callback_note = note.strip()
    bad_review.closed_at = timezone.now()
    bad_review.save(update_fields=["status", "callback_satisfied", "callback_note", "closed_at", "updated_at"])
    feedback_reported(bad_review, "called_back")
    return bad_review


@transaction.atomic
def bad_review_decide_appeal(*, bad_review_id: int, upheld: bool, decision: str, actor: User) -> BadReview:
    """A leader decides an appeal (申诉复核): upheld → the evaluation no longer counts; rejected → rectify."""
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_decide_appeal(actor, bad_review):
        raise NotPermitted(_("申诉复核须由中心领导决定。"))
    if not decision.strip():
        raise ValidationFailed(_("请填写复核意见。"), field="decision")
    to = BadReview.Status.EXCLUDED if upheld else BadReview.Status.RECTIFYING
    _bad_review_move(
        bad_review, to, actor=actor, action="appeal_upheld" if upheld else "appeal_rejected", note=decision
    )
    bad_review.appeal_decision = decision.strip()
    bad_review.decided_by = actor
    if upheld:
        bad_review.closed_at = timezone.now()
        evaluation = bad_review.evaluation
        evaluation.excluded = True
        evaluation.excluded_reason = str(BadReview.Verdict(bad_review.verdict).label)
        evaluation.save(update_fields=["excluded", "excluded_reason", "updated_at"])
    bad_review.save()
    feedback_reported(bad_review, "appeal_decided")
    return bad_review


@transaction.atomic
def bad_review_reassign(*, bad_review_id: int, owner: User, actor: User) -> BadReview:
    bad_review = _lock_bad_review(bad_review_id)
    if not access.can_manage_centre(actor, bad_review.centre_id):
        raise NotPermitted()
    if owner.centre_id != bad_review.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="owner")
    EvaluationEvent.objects.create(
        evaluation_id=bad_review.evaluation_id, action="reassigned", actor=actor, note=owner.name
    )
    bad_review.owner = owner
    bad_review.save(update_fields=["owner", "updated_at"])
    return bad_review


@transaction.atomic
def evaluation_follow_up(
    *, evaluation: Evaluation, level: int, text: str = "", actor: User | None = None
) -> Evaluation:
    """The one follow-up rating (追评) allowed after a bad review was rectified."""
    original = Evaluation.objects.select_for_update().get(id=evaluation.id)
    bad_review = BadReview.objects.filter(evaluation=original).first()
    if bad_review is None or bad_review.status not in (BadReview.Status.RECTIFIED, BadReview.Status.CLOSED):
        raise InvalidTransition(
            current=str(bad_review.get_status_display() if bad_review else "—"),
            requested=_("追评"),
            message=_("只有整改后的差评可以追评。"),
        )
    if Evaluation.objects.filter(follow_up_of=original).exists():
        raise Conflict(_("每条差评只能追评一次。"), field="level")
    if int(level) not in EvaluationLevel.values:
        raise ValidationFailed(_("评价等级须为 1 到 5。"), field="level")
    follow_up = Evaluation.objects.create(
        centre=original.centre,
        channel=original.channel,
        window=original.window,
        staff=original.staff,
        matter_type=original.matter_type,
        case=original.case,
        level=int(level),
        text=text.strip(),
        is_real_name=original.is_real_name,
        evaluator_name=original.evaluator_name,
        evaluator_phone=original.evaluator_phone,
        evaluator_phone_hash=original.evaluator_phone_hash,
        rated_at=timezone.now(),
        follow_up_of=original,
    )
    EvaluationEvent.objects.create(evaluation=original, action="follow_up", actor=actor, note=str(follow_up.level))
    feedback_reported(follow_up, "evaluated")
    record_changed_after_commit(original)
    return follow_up
