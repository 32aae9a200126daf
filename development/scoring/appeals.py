"""Score appeals: once per person and month; an upheld one corrects a value and re-runs the month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from staff.models import User

from ..models import ScoreAppeal, ScoringRun, month_start
from .runs import scoring_run_month


@transaction.atomic
def score_appeal_file(*, staff: User, month: date, reason: str, indicator_code: str = "") -> ScoreAppeal:
    month = month_start(month)
    if staff.centre_id is None:
        raise NotPermitted()
    run = ScoringRun.objects.filter(centre_id=staff.centre_id, month=month).first()
    if run is None or run.status not in (ScoringRun.Status.PREVIEW, ScoringRun.Status.LOCKED):
        raise ValidationFailed(_("该月评分尚未公布，暂不能申诉。"))
    if not run.scores.filter(staff=staff).exists():
        raise ValidationFailed(_("您不在该月的评分名单中。"))
    if not reason.strip():
        raise ValidationFailed(_("请写明申诉理由。"), field="reason")
    if indicator_code and (run.scheme is None or not run.scheme.indicators.filter(code=indicator_code).exists()):
        raise ValidationFailed(_("该月方案中没有这个指标。"), field="indicator_code")
    if ScoreAppeal.objects.filter(staff=staff, month=month).exists():
        raise Conflict(_("每月只能申诉一次。"))
    try:
        with transaction.atomic():
            appeal = ScoreAppeal.objects.create(
                centre_id=staff.centre_id,
                staff=staff,
                month=month,
                reason=reason.strip(),
                indicator_code=indicator_code,
            )
    except IntegrityError as exc:  # a concurrent second appeal
        raise Conflict(_("每月只能申诉一次。")) from exc
    return appeal


def score_appeal_decide(
    *, appeal_id: int, actor: User, upheld: bool, decision: str, corrected_value: Decimal | None = None
) -> ScoreAppeal:
    with transaction.atomic():
        appeal = ScoreAppeal.objects.select_for_update().select_related("centre").get(id=appeal_id)
        if not access.can_lock_scores(actor, appeal.centre_id):
            raise NotPermitted(_("只有中心领导可以处理申诉。"))
        if appeal.status != ScoreAppeal.Status.PENDING:
            raise InvalidTransition(
                current=appeal.get_status_display(),
                requested=str((ScoreAppeal.Status.UPHELD if upheld else ScoreAppeal.Status.REJECTED).label),
            )
        if not decision.strip():
            raise ValidationFailed(_("请写明处理意见。"), field="decision")
        if upheld and (not appeal.indicator_code or corrected_value is None):
            raise ValidationFailed(_("申诉成立时须指明指标并填写更正后的指标值。"), field="corrected_value")
        appeal.status = ScoreAppeal.Status.UPHELD if upheld else ScoreAppeal.Status.REJECTED
        appeal.decision = decision.strip()
        appeal.corrected_value = corrected_value if upheld else None
        appeal.decided_by = actor
        appeal.decided_at = timezone.now()
        appeal.save()
    if upheld:
        # The re-run honours the decision, also after the month was locked.
        scoring_run_month(centre=appeal.centre, month=appeal.month, actor=actor, for_appeal=True)
    return appeal
