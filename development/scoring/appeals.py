"""Score appeals: once per person and month, on one indicator; an upheld one corrects the indicator's value
and re-runs the month. Filing tells the centre's leaders; the decision tells the member of staff, with
the reason and the total before and after.

The appeal names an indicator: a leader can uphold an appeal only by correcting an indicator's value, so
an appeal "on the whole" could never be upheld and would waste the month's one appeal (issue 16).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from notifications.services import NoticeText, notice_send, notice_text
from staff.models import User
from staff.selectors import leaders_of

from ..models import ScoreAppeal, ScoringRun, StaffMonthScore, month_start
from .runs import scoring_run_month

MONTHS_URL = "/scores/centre/%s/"
MY_SCORE_URL = "/scores/?month=%s"


@transaction.atomic
def score_appeal_file(*, staff: User, month: date, reason: str, indicator_code: str = "") -> ScoreAppeal:
    month = month_start(month)
    if staff.centre_id is None:
        raise NotPermitted()
    run = ScoringRun.objects.filter(centre_id=staff.centre_id, month=month).select_related("centre").first()
    if run is None or run.status not in (ScoringRun.Status.PREVIEW, ScoringRun.Status.LOCKED):
        raise ValidationFailed(_("该月评分尚未公布，暂不能申诉。"))
    if not run.scores.filter(staff=staff).exists():
        raise ValidationFailed(_("您不在该月的评分名单中。"))
    if ScoreAppeal.objects.filter(staff=staff, month=month).exists():
        raise Conflict(_("每月只能申诉一次。"))
    if not reason.strip():
        raise ValidationFailed(_("请写明申诉理由。"), field="reason")
    if not indicator_code:
        raise ValidationFailed(_("请选择申诉所涉的指标。"), field="indicator_code")
    if run.scheme is None or not run.scheme.indicators.filter(code=indicator_code).exists():
        raise ValidationFailed(_("该月方案中没有这个指标。"), field="indicator_code")
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
    text = notice_text(
        gettext_noop("%(name)s 对 %(month)s 服务之星评分的“%(indicator)s”提出申诉，等待处理。"),
        {
            "name": staff.name,
            "month": f"{month:%Y-%m}",
            "indicator": _indicator_name(run, indicator_code),
        },
    )
    url = MONTHS_URL % f"{month:%Y-%m}" + f"?centre={run.centre.code}#appeal-{appeal.id}"
    for leader in leaders_of(run.centre).exclude(id=staff.id).distinct():
        _notice_after_commit(leader, key=f"score-appeal-filed-{appeal.id}", text=text, url=url)
    return appeal


def _notice_after_commit(recipient: User, *, key: str, text: str | NoticeText, url: str) -> None:
    transaction.on_commit(lambda: notice_send(recipient=recipient, key=key, text=text, url=url))


def _indicator_name(run: ScoringRun, code: str) -> str:
    indicator = run.scheme.indicators.filter(code=code).first() if run.scheme is not None else None
    return indicator.name if indicator is not None else code


def _total_of(appeal: ScoreAppeal) -> Decimal | None:
    return (
        StaffMonthScore.objects.filter(
            run__centre_id=appeal.centre_id, run__month=appeal.month, staff_id=appeal.staff_id
        )
        .values_list("total", flat=True)
        .first()
    )


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
        appeal.total_before = _total_of(appeal)
        appeal.total_after = appeal.total_before
        appeal.save()
    if upheld:
        # The re-run honours the decision, also after the month was locked.
        scoring_run_month(centre=appeal.centre, month=appeal.month, actor=actor, for_appeal=True)
        appeal.total_after = _total_of(appeal)
        appeal.save(update_fields=["total_after", "updated_at"])
    _tell_staff(appeal)
    return appeal


def _total_text(total: Decimal | None) -> str | NoticeText:
    return str(total) if total is not None else notice_text(gettext_noop("无数据"))


def _tell_staff(appeal: ScoreAppeal) -> None:
    text = notice_text(
        gettext_noop(
            "您对 %(month)s 服务之星评分的申诉%(result)s：%(decision)s。总分：处理前 %(before)s，处理后 %(after)s。"
        ),
        {
            "month": f"{appeal.month:%Y-%m}",
            "result": notice_text(
                gettext_noop("成立") if appeal.status == ScoreAppeal.Status.UPHELD else gettext_noop("被驳回")
            ),
            "decision": appeal.decision,
            "before": _total_text(appeal.total_before),
            "after": _total_text(appeal.total_after),
        },
    )
    _notice_after_commit(
        appeal.staff, key=f"score-appeal-decided-{appeal.id}", text=text, url=MY_SCORE_URL % f"{appeal.month:%Y-%m}"
    )
