"""Scoring schemes (versions, checks) and the inputs entered by hand: spot checks and manual entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.models import Centre
from staff.models import User

from ..models import ManualEntry, ScoringRun, ScoringScheme, Source, SpotCheck, month_start
from .rules import HUNDRED


def scheme_for(*, centre: Centre, month: date) -> ScoringScheme | None:
    return (
        ScoringScheme.objects.filter(centre=centre, valid_from__lte=month_start(month)).order_by("-valid_from").first()
    )


def scheme_errors(scheme: ScoringScheme) -> list[str]:
    """Why a scheme cannot be used (empty when it can): weights add up to 100, every indicator computable."""
    errors: list[str] = []
    # The dimension comes with each indicator (one query, not one per indicator: the run checks every centre).
    indicators = list(scheme.indicators.select_related("dimension"))
    if not indicators:
        return [_("方案还没有指标。")]
    total = sum((i.weight for i in indicators), Decimal(0))
    if total != HUNDRED:
        errors.append(_("指标权重合计为 %(total)s，应为 100。") % {"total": total})
    for indicator in indicators:
        for message in indicator.rule_errors().values():
            errors.append(f"{indicator.code}: {message}")
        if indicator.dimension.scheme_id != scheme.id:
            errors.append(_("%(code)s: 所属维度不在本方案中。") % {"code": indicator.code})
    return errors


@transaction.atomic
def scheme_new_version(*, scheme: ScoringScheme, valid_from: date, actor: User, name: str = "") -> ScoringScheme:
    """Copy a scheme (dimensions and indicators) into a new version starting `valid_from`."""
    if not access.can_edit_scoring_scheme(actor):
        raise NotPermitted()
    valid_from = month_start(valid_from)
    if valid_from <= scheme.valid_from:
        raise ValidationFailed(_("新版本必须晚于原版本起用。"), field="valid_from")
    if ScoringScheme.objects.filter(centre=scheme.centre, valid_from=valid_from).exists():
        raise Conflict(_("该月份已有方案版本。"))
    new = ScoringScheme.objects.create(
        centre=scheme.centre,
        name=name or scheme.name,
        valid_from=valid_from,
        min_evaluations=scheme.min_evaluations,
        star_share=scheme.star_share,
        bottom_share=scheme.bottom_share,
        bottom_min_headcount=scheme.bottom_min_headcount,
        tie_rule=scheme.tie_rule,
        talk_working_days=scheme.talk_working_days,
        notes=scheme.notes,
    )
    dimension_map = {}
    for dimension in scheme.dimensions.all():
        old_id = dimension.id
        dimension.pk = None
        dimension.scheme = new
        dimension.save()
        dimension_map[old_id] = dimension
    for indicator in scheme.indicators.all():
        indicator.pk = None
        indicator.scheme = new
        indicator.dimension = dimension_map[indicator.dimension_id]
        indicator.save()
    return new


def _ensure_month_open(*, centre: Centre, month: date) -> None:
    if ScoringRun.objects.filter(centre=centre, month=month_start(month), status=ScoringRun.Status.LOCKED).exists():
        raise Conflict(_("%(month)s 的评分已锁定，只能通过申诉更正。") % {"month": f"{month:%Y-%m}"})


@transaction.atomic
def spot_check_record(
    *,
    staff: User,
    inspector: User,
    checked_at: datetime,
    response_seconds: int | None = None,
    etiquette_score: Decimal | None = None,
    notification_correct: bool | None = None,
    discipline_violations: int = 0,
    note: str = "",
) -> SpotCheck:
    centre = staff.centre
    if centre is None:
        raise ValidationFailed(_("被抽查人员不属于任何中心。"), field="staff")
    if not access.can_manage_centre(inspector, centre.id):
        raise NotPermitted()
    _ensure_month_open(centre=centre, month=timezone.localtime(checked_at).date())
    if etiquette_score is not None and not (0 <= etiquette_score <= 10):
        raise ValidationFailed(_("礼仪规范分应在 0–10 之间。"), field="etiquette_score")
    return SpotCheck.objects.create(
        centre=centre,
        staff=staff,
        inspector=inspector,
        checked_at=checked_at,
        response_seconds=response_seconds,
        etiquette_score=etiquette_score,
        notification_correct=notification_correct,
        discipline_violations=discipline_violations,
        note=note,
    )


@transaction.atomic
def manual_entry_record(
    *, staff: User, month: date, indicator_code: str, value: Decimal, reason: str, author: User
) -> ManualEntry:
    centre = staff.centre
    if centre is None:
        raise ValidationFailed(_("人员不属于任何中心。"), field="staff")
    if not access.can_manage_centre(author, centre.id):
        raise NotPermitted()
    month = month_start(month)
    _ensure_month_open(centre=centre, month=month)
    if not reason.strip():
        raise ValidationFailed(_("人工录入必须写明理由。"), field="reason")
    scheme = scheme_for(centre=centre, month=month)
    if scheme is None or not scheme.indicators.filter(code=indicator_code, source=Source.MANUAL).exists():
        raise ValidationFailed(_("该月方案中没有这个人工录入指标。"), field="indicator_code")
    return ManualEntry.objects.create(
        centre=centre,
        staff=staff,
        month=month,
        indicator_code=indicator_code,
        value=value,
        reason=reason.strip(),
        author=author,
    )
