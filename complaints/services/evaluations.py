"""Writes for ratings (好差评): submission from any channel, and SMS invitations (一事一评).

A bad rating opens the bad-review flow (`bad_reviews`); a self-triggered one
(`complaints.self_rating`) is stored excluded and opens nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.selectors import case_has_rating_link, rating_link_for_token
from cases.services import rating_link_mark_used
from govservice.crypto import lookup_hash, lookup_hashes
from govservice.exceptions import Conflict, ValidationFailed
from govservice.models import Centre
from staff.models import User, Window

from .. import one_rating
from ..models import (
    BAD_REVIEW_LEVELS,
    Channel,
    Evaluation,
    EvaluationEvent,
    EvaluationInvitation,
    EvaluationLevel,
    EvaluationTag,
    FeedbackPolicy,
    Screening,
)
from ..self_rating import is_self_triggered
from .bad_reviews import _bad_review_open
from .common import _check_channel, _check_same_centre, feedback_reported

if TYPE_CHECKING:
    from cases.models import Case, MatterType, RatingLink


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
    device: str = "",
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
        device=device,
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
    device: str = "",
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

    `device`: the citizen's own device id (the rating page's cookie), for 一次一评
    (complaints/one_rating.py, applied here so that every path obeys it).
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
        evaluation.device_hash = one_rating.device_key(device)
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
        decision = one_rating.screen(evaluation, channel=channel)
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
            one_rating.apply(evaluation, decision)
            EvaluationEvent.objects.create(
                evaluation=evaluation,
                action="submitted",
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                note=_submitted_note(evaluation),
            )
            feedback_reported(evaluation, "evaluated")
            if evaluation.level in BAD_REVIEW_LEVELS and not evaluation.excluded:
                _bad_review_open(evaluation)
    if case_rated_already:
        # Raised outside the block so that a caller's transaction is not marked for rollback.
        raise Conflict(_("该办件已评价（一事一评）。"), field="case")
    return evaluation, True


def _submitted_note(evaluation: Evaluation) -> str:
    if evaluation.screening:
        return _("一次一评：%(reason)s，不计入统计") % {"reason": Screening(evaluation.screening).label}
    return _("本人办件自评，不计入统计") if evaluation.excluded else ""


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
    excluded = is_self_triggered(actor=actor, staff=staff, case=case, phone=evaluator_phone)
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
    if case_has_rating_link(case_id=case.id):
        return None  # the completion SMS carried the case's own rating link (cases): one invitation is enough
    if Evaluation.objects.filter(case=case).exists():
        return None
    policy = FeedbackPolicy.for_centre(case.centre)
    phone_hashes = lookup_hashes(case.applicant_phone)  # an invitation hashed under an old lookup key counts too
    phone_hash = phone_hashes[0]
    since = timezone.now() - timedelta(days=policy.invite_period_days)
    if EvaluationInvitation.objects.filter(phone_hash__in=phone_hashes, created_at__gte=since).exists():
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


def evaluation_invitation_check(*, case: Case, token: str) -> EvaluationInvitation | RatingLink:
    """The case's invitation with this token, if it may still be used to rate the case; raises otherwise.

    A channel that did not serve the case may rate it only with this token (from the citizen's SMS link),
    so that a channel key cannot take the one rating of any case by its (sequential) tracking number.
    The token is an invitation of this app's, or the rating link of the case's completion SMS (cases).
    """
    invitation = EvaluationInvitation.objects.filter(case=case, token=token).first() if token else None
    if invitation is None:
        link = rating_link_for_token(token=token)
        if link is not None and link.case_id == case.id and not link.is_expired():
            if link.used_at is not None:
                raise Conflict(_("该办件已评价（一事一评）。"), field="case")
            return link
    if invitation is None or invitation.expires_at < timezone.now():
        raise ValidationFailed(_("评价邀请码无效或已过期。"), field="invitation")
    if invitation.used_at is not None:
        raise Conflict(_("该办件已评价（一事一评）。"), field="case")
    return invitation


def evaluation_invitation_mark_used(*, invitation: EvaluationInvitation | RatingLink) -> None:
    """The invitation's link works once: used by the rating just stored (the caller's transaction)."""
    if not isinstance(invitation, EvaluationInvitation):
        rating_link_mark_used(link_id=invitation.pk)
        return
    now = timezone.now()
    EvaluationInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now, updated_at=now)


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
