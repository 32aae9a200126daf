"""Writes for evaluations (好差评), the bad-review flow and complaints.

Stable entry points for other apps (the `intake` channel API calls these):
`evaluation_submit`, `complaint_submit`, `evaluation_invite`. Each locks what it
changes, checks the rules, records a history row and enqueues follow-ups with
`transaction.on_commit`, so no SMS or webhook leaves for a rolled-back write.

Every status change of an evaluation's flow or a complaint calls
`intake.hooks.record_changed(obj)` after commit when that module exists (the
webhook side lives there; this app must work without it).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Case as SqlCase
from django.db.models import Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import workdays
from govservice.crypto import lookup_hash
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from rectification.models import Problem, ProblemCategory
from staff.models import Centre, Department, Role, User, Window

from .models import (
    BAD_REVIEW_LEVELS,
    BadReview,
    Channel,
    Complaint,
    ComplaintEvent,
    Evaluation,
    EvaluationEvent,
    EvaluationInvitation,
    EvaluationLevel,
    EvaluationTag,
    FeedbackPolicy,
)

if TYPE_CHECKING:
    from cases.models import Case, MatterType

logger = logging.getLogger(__name__)

MANAGER_ROLES = (Role.LEADER, Role.CENTRE_ADMIN, Role.CITY_LEADER, Role.CITY_ADMIN)


# --- shared helpers ---------------------------------------------------------------------


def record_changed_after_commit(obj: Any) -> None:
    """Tell the intake app (webhooks, pull feed) that a record's status changed, after commit."""

    def _call() -> None:
        try:
            from intake import hooks  # noqa: PLC0415 - optional app, imported lazily on purpose
        except ImportError:
            return
        hook = getattr(hooks, "record_changed", None)
        if hook is not None:
            hook(obj)

    transaction.on_commit(_call)


def _check_same_centre(obj: Any, centre: Centre, field: str) -> None:
    if obj is not None and obj.centre_id != centre.id:
        # Same message as "not found": another centre's records must not be confirmed to exist.
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field=field)


def _serves(channel: Channel, centre: Centre) -> bool:
    prefetched = getattr(channel, "_prefetched_objects_cache", {}).get("centres")
    if prefetched is not None:  # the intake API's channel comes with its centres
        return any(c.id == centre.id for c in prefetched)
    return channel.centres.filter(id=centre.id).exists()


def _check_channel(channel: Channel, centre: Centre) -> None:
    if not channel.is_active or not _serves(channel, centre):
        raise ValidationFailed(_("该渠道未启用或不服务于该中心。"), field="channel")


def is_manager(user: User | None, centre_id: int | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.has_role(Role.CITY_LEADER, Role.CITY_ADMIN):
        return True
    return user.centre_id == centre_id and user.has_role(Role.LEADER, Role.CENTRE_ADMIN)


def _require_manager(user: User | None, centre_id: int, *, owner_id: int | None = None) -> None:
    if user is not None and owner_id is not None and user.id == owner_id:
        return
    if not is_manager(user, centre_id):
        raise NotPermitted()


def _local_date(moment: datetime) -> Any:
    return timezone.localtime(moment).date()


def suggest_category(text: str) -> str:
    """A keyword suggestion of the ProblemCategory for a complaint; staff decide."""
    scores = {category: sum(word in text for word in words) for category, words in CATEGORY_KEYWORDS.items()}
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] else ""


CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    ProblemCategory.ATTITUDE: (
        "态度",
        "不耐烦",
        "冷漠",
        "推诿",
        "扯皮",
        "脸色",
        "语气",
        "不理",
        "爱答不理",
        "凶",
        "训斥",
    ),
    ProblemCategory.ABILITY: ("不懂", "不熟悉", "说不清", "答不上", "政策", "解释错误", "业务不熟", "一业一证", "不会"),
    ProblemCategory.EFFICIENCY: ("排队", "太慢", "等了", "跑了", "多次", "流程", "材料", "时间长", "效率", "来回"),
    ProblemCategory.DISCIPLINE: ("玩手机", "离岗", "迟到", "早退", "聊天", "吃东西", "不在岗", "吃拿卡要", "纪律"),
}


# --- evaluations ------------------------------------------------------------------------


def _validate_tags(tags: Iterable[str], level: int) -> list[str]:
    tags = [str(t) for t in tags]
    if not tags:
        return []
    known = {t.code: t for t in EvaluationTag.objects.filter(code__in=tags, is_active=True)}
    for code in tags:
        tag = known.get(code)
        if tag is None or (tag.levels and level not in tag.levels):
            raise ValidationFailed(_("评价标签“%(tag)s”不适用于该评价等级。") % {"tag": code}, field="tags")
    return list(dict.fromkeys(tags))


def _self_triggered(*, actor: User | None, staff: User | None, case: Case | None, phone: str) -> bool:
    """A rating a staff member triggered on their own case never counts against (or for) anyone."""
    involved = {staff.id} if staff else set()
    if case is not None:
        involved |= {case.handler_id, case.first_responder_id}
    if actor is not None and getattr(actor, "is_authenticated", False) and actor.id in involved:
        return True
    return bool(phone and staff is not None and staff.mobile and lookup_hash(staff.mobile) == lookup_hash(phone))


def _default_owner(centre: Centre) -> User | None:
    """Who answers for a bad review until someone reassigns it: the centre admin, else a leader."""
    admin_first = SqlCase(When(roles__role=Role.CENTRE_ADMIN, then=Value(0)), default=Value(1))
    return (
        User.objects.filter(is_active=True, centre=centre, roles__role__in=(Role.CENTRE_ADMIN, Role.LEADER))
        .annotate(admin_first=admin_first)
        .order_by("admin_first", "id")
        .first()
    )


def evaluation_submit(
    *,
    centre: Centre,
    channel: Channel,
    level: int,
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    case: Case | None = None,
    text: str = "",
    tags: Iterable[str] = (),
    is_real_name: bool = False,
    evaluator_name: str = "",
    evaluator_phone: str = "",
    external_id: str = "",
    rated_at: datetime | None = None,
    actor: User | None = None,
) -> Evaluation:
    """Record one rating. A re-sent record (same channel and external_id) returns the first one."""
    evaluation, _created = evaluation_submit_once(
        centre=centre,
        channel=channel,
        level=level,
        window=window,
        staff=staff,
        matter_type=matter_type,
        case=case,
        text=text,
        tags=tags,
        is_real_name=is_real_name,
        evaluator_name=evaluator_name,
        evaluator_phone=evaluator_phone,
        external_id=external_id,
        rated_at=rated_at,
        actor=actor,
    )
    return evaluation


def _resent_evaluation(channel: Channel, external_id: str) -> Evaluation | None:
    if not external_id:
        return None
    return Evaluation.objects.filter(channel=channel, external_id=external_id).first()


def evaluation_submit_once(
    *,
    centre: Centre,
    channel: Channel,
    level: int,
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    case: Case | None = None,
    text: str = "",
    tags: Iterable[str] = (),
    is_real_name: bool = False,
    evaluator_name: str = "",
    evaluator_phone: str = "",
    external_id: str = "",
    rated_at: datetime | None = None,
    actor: User | None = None,
    savepoint: bool = True,
) -> tuple[Evaluation, bool]:
    """`evaluation_submit`, also saying whether the rating is new (False: the channel re-sent it).

    A re-sent record (same channel and external id) and a second first rating of a case
    are recognised by the database's unique constraints, so a new record, the usual
    case, costs no look-up before its insert.

    savepoint=False is for a caller whose transaction has written nothing before this
    call (the intake API): the insert then runs without the SAVEPOINT/RELEASE pair (two
    round trips), and a clash raises IntegrityError out of the caller's transaction,
    which is rolled back whole; the caller calls again with savepoint=True and gets the
    answer below (the first record, or the case's Conflict).
    """
    try:
        evaluation = _evaluation_build(
            centre=centre,
            channel=channel,
            level=level,
            window=window,
            staff=staff,
            matter_type=matter_type,
            case=case,
            text=text,
            tags=tags,
            is_real_name=is_real_name,
            evaluator_name=evaluator_name,
            evaluator_phone=evaluator_phone,
            external_id=external_id,
            rated_at=rated_at,
            actor=actor,
        )
    except ValidationFailed:
        # A re-sent record gets the first one back even if it would no longer validate
        # (a staff member left since, a tag was retired).
        existing = _resent_evaluation(channel, external_id)
        if existing is not None:
            return existing, False
        raise
    case_rated_already = False
    # savepoint=False: the row, its history and a bad review join the caller's transaction
    # (the intake API's, with its idempotency record) instead of nesting one more.
    with transaction.atomic(savepoint=False):
        try:
            # A savepoint only where a unique key can clash, so that after the clash the
            # transaction is still usable for the look-up below and for the caller.
            with transaction.atomic(savepoint=savepoint and bool(external_id or case)):
                evaluation.save()
        except IntegrityError:
            if not savepoint:
                raise  # the transaction is aborted: no look-up is possible in it
            # The same record again (a resend, or two deliveries racing): answer with the first.
            existing = _resent_evaluation(channel, external_id)
            if existing is not None:
                return existing, False
            if case is None:
                raise
            case_rated_already = True
        else:
            EvaluationEvent.objects.create(
                evaluation=evaluation,
                action="submitted",
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                note=_("本人办件自评，不计入统计") if evaluation.excluded else "",
            )
            if evaluation.level in BAD_REVIEW_LEVELS and not evaluation.excluded:
                _bad_review_open(evaluation)
    if case_rated_already:
        # Raised outside the block so that a caller's transaction is not marked for rollback.
        raise Conflict(_("该办件已评价（一事一评）。"), field="case")
    return evaluation, True


def _evaluation_build(
    *,
    centre: Centre,
    channel: Channel,
    level: int,
    window: Window | None,
    staff: User | None,
    matter_type: MatterType | None,
    case: Case | None,
    text: str,
    tags: Iterable[str],
    is_real_name: bool,
    evaluator_name: str,
    evaluator_phone: str,
    external_id: str,
    rated_at: datetime | None,
    actor: User | None,
) -> Evaluation:
    """Check the rules and return the unsaved row. Reads only; raises ValidationFailed."""
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in EvaluationLevel.values:
        raise ValidationFailed(_("评价等级须为 1 到 5。"), field="level")
    _check_channel(channel, centre)
    for obj, field in ((window, "window"), (staff, "staff"), (matter_type, "matter_type"), (case, "case")):
        _check_same_centre(obj, centre, field)
    if staff is not None and not staff.is_active:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="staff")
    tag_list = _validate_tags(tags, level)
    if case is not None:
        window = window or case.window
        matter_type = matter_type or case.matter_type
        staff = staff or case.handler
    if staff is not None and window is None:
        window = staff.window
    if is_real_name and not evaluator_phone:
        raise ValidationFailed(_("实名评价须留联系电话。"), field="evaluator_phone")
    excluded = _self_triggered(actor=actor, staff=staff, case=case, phone=evaluator_phone)
    phone = evaluator_phone.strip()
    return Evaluation(
        centre=centre,
        channel=channel,
        window=window,
        staff=staff,
        matter_type=matter_type,
        case=case,
        level=level,
        text=text.strip(),
        tags=tag_list,
        is_real_name=is_real_name,
        evaluator_name=evaluator_name.strip(),
        evaluator_phone=phone,
        evaluator_phone_hash=lookup_hash(phone) if phone else "",
        external_id=external_id,
        excluded=excluded,
        excluded_reason=_("本人办件自评") if excluded else "",
        rated_at=rated_at or timezone.now(),
    )


def _bad_review_open(evaluation: Evaluation) -> BadReview:
    policy = FeedbackPolicy.for_centre(evaluation.centre)
    start = _local_date(evaluation.rated_at)
    owner = _default_owner(evaluation.centre)
    calendar = workdays.WorkCalendar.load()  # once for both dates
    bad_review = BadReview.objects.create(
        evaluation=evaluation,
        centre=evaluation.centre,
        owner=owner,
        contact_due=calendar.add_working_days(start, policy.contact_days).date,
        rectify_due=calendar.add_working_days(start, policy.rectify_days).date,
    )
    EvaluationEvent.objects.create(evaluation=evaluation, action="bad_review_opened", new_status=BadReview.Status.OPEN)
    from .tasks import bad_review_opened_task  # noqa: PLC0415 - tasks import services

    transaction.on_commit(lambda: bad_review_opened_task.delay(bad_review.id))
    record_changed_after_commit(evaluation)
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
    _require_manager(actor, bad_review.centre_id, owner_id=bad_review.owner_id)
    if bad_review.status == BadReview.Status.CONTACTED:
        return bad_review
    _bad_review_move(bad_review, BadReview.Status.CONTACTED, actor=actor, action="contacted", note=note)
    bad_review.contacted_at = timezone.now()
    bad_review.save(update_fields=["status", "contacted_at", "updated_at"])
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
    _require_manager(actor, bad_review.centre_id, owner_id=bad_review.owner_id)
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
    return bad_review


@transaction.atomic
def bad_review_rectify(*, bad_review_id: int, rectification: str, actor: User) -> BadReview:
    bad_review = _lock_bad_review(bad_review_id)
    _require_manager(actor, bad_review.centre_id, owner_id=bad_review.owner_id)
    if not rectification.strip():
        raise ValidationFailed(_("请填写整改措施。"), field="rectification")
    _bad_review_move(bad_review, BadReview.Status.RECTIFIED, actor=actor, action="rectified", note=rectification)
    bad_review.rectification = rectification.strip()
    bad_review.rectified_at = timezone.now()
    bad_review.save(update_fields=["status", "rectification", "rectified_at", "updated_at"])
    return bad_review


@transaction.atomic
def bad_review_callback(*, bad_review_id: int, satisfied: bool, note: str, actor: User) -> BadReview:
    """The callback (回访) closes the flow; the citizen may then give one follow-up rating."""
    bad_review = _lock_bad_review(bad_review_id)
    _require_manager(actor, bad_review.centre_id, owner_id=bad_review.owner_id)
    _bad_review_move(bad_review, BadReview.Status.CLOSED, actor=actor, action="called_back", note=note)
    bad_review.callback_satisfied = satisfied
    bad_review.callback_note = note.strip()
    bad_review.closed_at = timezone.now()
    bad_review.save(update_fields=["status", "callback_satisfied", "callback_note", "closed_at", "updated_at"])
    return bad_review


@transaction.atomic
def bad_review_decide_appeal(*, bad_review_id: int, upheld: bool, decision: str, actor: User) -> BadReview:
    """A leader decides an appeal (申诉复核): upheld → the evaluation no longer counts; rejected → rectify."""
    bad_review = _lock_bad_review(bad_review_id)
    if not (actor.is_leader and is_manager(actor, bad_review.centre_id)):
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
    return bad_review


@transaction.atomic
def bad_review_reassign(*, bad_review_id: int, owner: User, actor: User) -> BadReview:
    bad_review = _lock_bad_review(bad_review_id)
    _require_manager(actor, bad_review.centre_id)
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
    record_changed_after_commit(original)
    return follow_up


# --- SMS invitations (一事一评) ---------------------------------------------------------


INVITATION_VALID_DAYS = 7


@transaction.atomic
def evaluation_invite(*, case: Case) -> EvaluationInvitation | None:
    """Invite the applicant of a completed case to rate it by SMS, with a personal link.

    Returns None when there is nothing to send: the case is not completed, has no phone, was
    already rated, or the same phone had an invitation within the centre's invite period
    (nobody is pestered). Calling it twice for a case returns the first invitation.
    """
    from cases.models import Case as CaseModel  # noqa: PLC0415 - avoid an import cycle at load

    if case.status != CaseModel.Status.COMPLETED or not case.applicant_phone:
        return None
    existing = EvaluationInvitation.objects.filter(case=case).first()
    if existing is not None:
        return existing
    if Evaluation.objects.filter(case=case).exists():
        return None
    policy = FeedbackPolicy.for_centre(case.centre)
    phone_hash = lookup_hash(case.applicant_phone)
    since = timezone.now() - timedelta(days=policy.invite_period_days)
    if EvaluationInvitation.objects.filter(phone_hash=phone_hash, created_at__gte=since).exists():
        return None
    invitation = EvaluationInvitation.objects.create(
        case=case,
        centre=case.centre,
        phone_hash=phone_hash,
        token=secrets.token_urlsafe(24),
        expires_at=timezone.now() + timedelta(days=INVITATION_VALID_DAYS),
    )
    phone = case.applicant_phone
    from django.conf import settings  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from notifications.services import sms_enqueue  # noqa: PLC0415

    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("complaints:rate-invitation", args=[invitation.token])
    transaction.on_commit(
        lambda: sms_enqueue(
            key=f"evaluation-invite:{case.id}",
            phone=phone,
            template_code="evaluation_invite",
            params={"tracking_no": case.tracking_no, "url": url},
            centre=case.centre,
        )
    )
    return invitation


@transaction.atomic
def evaluation_submit_by_invitation(*, token: str, level: int, tags: Iterable[str] = (), text: str = "") -> Evaluation:
    """A citizen rates their case through the personal link; the link works once."""
    invitation = EvaluationInvitation.objects.select_for_update().select_related("case").filter(token=token).first()
    if invitation is None or invitation.expires_at < timezone.now():
        raise ValidationFailed(_("评价链接无效或已过期。"), field="token")
    if invitation.used_at is not None:
        raise Conflict(_("该办件已评价（一事一评）。"), field="case")
    case = invitation.case
    channel = Channel.objects.filter(kind=Channel.Kind.SMS_LINK, is_active=True, centres=case.centre).first()
    if channel is None:
        raise ValidationFailed(_("该渠道未启用或不服务于该中心。"), field="channel")
    evaluation = evaluation_submit(
        centre=case.centre,
        channel=channel,
        level=level,
        case=case,
        tags=tags,
        text=text,
        is_real_name=True,
        evaluator_name=case.applicant_name,
        evaluator_phone=case.applicant_phone,
    )
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at", "updated_at"])
    return evaluation


# --- complaints and suggestions -------------------------------------------------------


def _new_tracking_no(centre: Centre, letter: str) -> str:
    return f"{centre.tracking_prefix}{letter}{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"


def complaint_submit(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str = Complaint.Kind.COMPLAINT,
    contact_name: str = "",
    contact_phone: str = "",
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    external_id: str = "",
    received_at: datetime | None = None,
    actor: User | None = None,
    evaluation: Evaluation | None = None,
) -> Complaint:
    """Record a complaint or suggestion. A re-sent record (same channel and external_id) returns the first."""
    complaint, _created = complaint_submit_once(
        centre=centre,
        channel=channel,
        content=content,
        kind=kind,
        contact_name=contact_name,
        contact_phone=contact_phone,
        window=window,
        staff=staff,
        matter_type=matter_type,
        external_id=external_id,
        received_at=received_at,
        actor=actor,
        evaluation=evaluation,
    )
    return complaint


def _resent_complaint(channel: Channel, external_id: str) -> Complaint | None:
    if not external_id:
        return None
    return Complaint.objects.filter(channel=channel, external_id=external_id).first()


def complaint_submit_once(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str = Complaint.Kind.COMPLAINT,
    contact_name: str = "",
    contact_phone: str = "",
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    external_id: str = "",
    received_at: datetime | None = None,
    actor: User | None = None,
    evaluation: Evaluation | None = None,
    savepoint: bool = True,
) -> tuple[Complaint, bool]:
    """`complaint_submit`, also saying whether the record is new (False: the channel re-sent it).

    As `evaluation_submit_once`: a resend is recognised by the unique constraint on
    (channel, external_id), not looked up first; savepoint=False has the same contract.
    """
    try:
        complaint = _complaint_build(
            centre=centre,
            channel=channel,
            content=content,
            kind=kind,
            contact_name=contact_name,
            contact_phone=contact_phone,
            window=window,
            staff=staff,
            matter_type=matter_type,
            external_id=external_id,
            received_at=received_at,
            evaluation=evaluation,
        )
    except ValidationFailed:
        # A re-sent record gets the first one back even if it would no longer validate.
        existing = _resent_complaint(channel, external_id)
        if existing is not None:
            return existing, False
        raise
    # savepoint=False: the row and its history join the caller's transaction (or make one).
    with transaction.atomic(savepoint=False):
        try:
            # A savepoint only where the external id can clash, so that the look-up below
            # still works after the clash.
            with transaction.atomic(savepoint=savepoint and bool(external_id)):
                complaint.save()
        except IntegrityError:
            if not savepoint:
                raise  # the transaction is aborted: the caller retries with savepoint=True
            existing = _resent_complaint(channel, external_id)
            if existing is not None:
                return existing, False
            raise
        ComplaintEvent.objects.create(
            complaint=complaint,
            new_status=complaint.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            note=_("经%(channel)s受理") % {"channel": channel.name},
        )
        from .tasks import complaint_received_task  # noqa: PLC0415

        transaction.on_commit(lambda: complaint_received_task.delay(complaint.id))
        record_changed_after_commit(complaint)
    return complaint, True


def _complaint_build(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str,
    contact_name: str,
    contact_phone: str,
    window: Window | None,
    staff: User | None,
    matter_type: MatterType | None,
    external_id: str,
    received_at: datetime | None,
    evaluation: Evaluation | None,
) -> Complaint:
    """Check the rules and return the unsaved row. Reads only; raises ValidationFailed."""
    if kind not in Complaint.Kind.values:
        raise ValidationFailed(_("类型无效。"), field="kind")
    if not content or not content.strip():
        raise ValidationFailed(_("请填写内容。"), field="content")
    _check_channel(channel, centre)
    for obj, field in ((window, "window"), (staff, "staff"), (matter_type, "matter_type"), (evaluation, "evaluation")):
        _check_same_centre(obj, centre, field)
    if staff is not None and window is None:
        window = staff.window
    phone = contact_phone.strip()
    return Complaint(
        tracking_no=_new_tracking_no(centre, "T" if kind == Complaint.Kind.COMPLAINT else "J"),
        centre=centre,
        channel=channel,
        kind=kind,
        content=content.strip(),
        contact_name=contact_name.strip(),
        contact_phone=phone,
        contact_phone_hash=lookup_hash(phone) if phone else "",
        window=window,
        staff=staff,
        matter_type=matter_type,
        external_id=external_id,
        received_at=received_at or timezone.now(),
        evaluation=evaluation,
    )


def _lock_complaint(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update().get(id=complaint_id)


def _complaint_move(complaint: Complaint, to: str, *, actor: User | None, note: str = "") -> None:
    if to not in Complaint.TRANSITIONS[complaint.status]:
        raise InvalidTransition(
            current=str(Complaint.Status(complaint.status).label), requested=str(Complaint.Status(to).label)
        )
    ComplaintEvent.objects.create(
        complaint=complaint, old_status=complaint.status, new_status=to, actor=actor, note=note
    )
    complaint.status = to
    record_changed_after_commit(complaint)


def _require_complaint_staff(actor: User, complaint: Complaint) -> None:
    if is_manager(actor, complaint.centre_id) or complaint.owner_id == actor.id:
        return
    raise NotPermitted()


@transaction.atomic
def complaint_classify(
    *, complaint_id: int, category: str, actor: User, problem: Problem | None = None, note: str = ""
) -> Complaint:
    """Staff decide the ProblemCategory (a keyword suggestion is only a hint) and may link a ledger problem."""
    complaint = _lock_complaint(complaint_id)
    if not (is_manager(actor, complaint.centre_id) or complaint.owner_id == actor.id or actor.has_role(Role.LIAISON)):
        raise NotPermitted()
    if category not in ProblemCategory.values:
        raise ValidationFailed(_("问题类别无效。"), field="category")
    if problem is not None and problem.centre_id != complaint.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="problem")
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=actor,
        note=_("归类为“%(category)s”") % {"category": ProblemCategory(category).label}
        + (f"；{_('关联台账')} {problem.code}" if problem else "")
        + (f"；{note}" if note else ""),
    )
    complaint.category = category
    complaint.problem = problem
    complaint.save(update_fields=["category", "problem", "updated_at"])
    return complaint


@transaction.atomic
def complaint_assign(*, complaint_id: int, department: Department, owner: User, actor: User) -> Complaint:
    complaint = _lock_complaint(complaint_id)
    _require_manager(actor, complaint.centre_id)
    if department.centre_id != complaint.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="department")
    if owner.centre_id != complaint.centre_id or not owner.is_active:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="owner")
    note = f"{department.name} · {owner.name}"
    if complaint.status == Complaint.Status.ASSIGNED:
        ComplaintEvent.objects.create(complaint=complaint, actor=actor, note=note)
    else:
        _complaint_move(complaint, Complaint.Status.ASSIGNED, actor=actor, note=note)
    complaint.department = department
    complaint.owner = owner
    complaint.save(update_fields=["status", "department", "owner", "updated_at"])
    from notifications.services import notice_send  # noqa: PLC0415

    transaction.on_commit(
        lambda: notice_send(
            recipient=owner,
            key=f"complaint-assigned:{complaint.id}:{owner.id}:{complaint.events.count()}",
            text=_("投诉建议 %(no)s 已分派给您办理。") % {"no": complaint.tracking_no},
            url=complaint.get_absolute_url(),
        )
    )
    return complaint


@transaction.atomic
def complaint_reply(*, complaint_id: int, reply: str, actor: User) -> Complaint:
    complaint = _lock_complaint(complaint_id)
    _require_complaint_staff(actor, complaint)
    if not reply.strip():
        raise ValidationFailed(_("请填写答复内容。"), field="reply")
    _complaint_move(complaint, Complaint.Status.REPLIED, actor=actor, note=reply.strip())
    complaint.reply = reply.strip()
    complaint.replied_at = timezone.now()
    complaint.save(update_fields=["status", "reply", "replied_at", "updated_at"])
    return complaint


@transaction.atomic
def complaint_callback(*, complaint_id: int, satisfied: bool, note: str, actor: User) -> Complaint:
    """The callback: a satisfied citizen closes the matter; an unsatisfied one re-opens it."""
    complaint = _lock_complaint(complaint_id)
    _require_complaint_staff(actor, complaint)
    to = Complaint.Status.CLOSED if satisfied else Complaint.Status.REOPENED
    _complaint_move(complaint, to, actor=actor, note=(_("回访满意") if satisfied else _("回访不满意")) + f"：{note}")
    complaint.callback_satisfied = satisfied
    complaint.callback_note = note.strip()
    complaint.save(update_fields=["status", "callback_satisfied", "callback_note", "updated_at"])
    return complaint


@transaction.atomic
def complaint_merge(*, primary_id: int, duplicate_id: int, actor: User) -> Complaint:
    """Merge a duplicate into a primary; the duplicate stays as a source (its channel and text are kept)."""
    if primary_id == duplicate_id:
        raise ValidationFailed(_("不能与自身合并。"), field="duplicate")
    rows = {c.id: c for c in Complaint.objects.select_for_update().filter(id__in=[primary_id, duplicate_id])}
    primary, duplicate = rows.get(primary_id), rows.get(duplicate_id)
    if primary is None or duplicate is None or primary.centre_id != duplicate.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="duplicate")
    _require_manager(actor, primary.centre_id)
    if primary.status == Complaint.Status.MERGED:
        raise ValidationFailed(_("不能合并到已被合并的记录。"), field="primary")
    _complaint_move(duplicate, Complaint.Status.MERGED, actor=actor, note=primary.tracking_no)
    duplicate.merged_into = primary
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    ComplaintEvent.objects.create(
        complaint=primary,
        actor=actor,
        note=_("合并来源 %(no)s（%(channel)s）") % {"no": duplicate.tracking_no, "channel": duplicate.channel.name},
    )
    # Sources merged into the duplicate earlier follow it to the primary, so no source is lost.
    Complaint.objects.filter(merged_into=duplicate).update(merged_into=primary, updated_at=timezone.now())
    return primary


def complaint_duplicates(complaint: Complaint) -> list[Complaint]:
    """Likely duplicates: same phone, same matter type, close in time (the centre's window), not merged."""
    if not complaint.contact_phone_hash:
        return []
    days = FeedbackPolicy.for_centre(complaint.centre).duplicate_window_days
    span = timedelta(days=days)
    queryset = (
        Complaint.objects.filter(
            centre_id=complaint.centre_id,
            contact_phone_hash=complaint.contact_phone_hash,
            matter_type_id=complaint.matter_type_id,
            received_at__gte=complaint.received_at - span,
            received_at__lte=complaint.received_at + span,
        )
        .exclude(id=complaint.id)
        .exclude(status=Complaint.Status.MERGED)
    )
    return list(queryset.select_related("channel").order_by("received_at")[:10])
