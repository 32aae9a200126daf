"""Service-star scoring services: scheme checks, inputs, the monthly run, lock, appeals, follow-ups.

The run reads every source with a handful of grouped aggregate queries (one per
source, `values("staff_id").annotate(...)`), never a Python loop over evaluation
or case rows; only the per-person × per-indicator arithmetic runs in Python.

Scoring rules (also shown to staff on their breakdown):
- ratio:     weight × min(1, value / target)
- average:   weight × min(1, value / target); lower-is-better: full marks at or
             below the target, else weight × target / value
- count:     weight × min(1, value / target)
- deduction: max(0, weight − per_unit × value)
- no data for a ratio or average (e.g. no spot check this month): full marks,
  flagged "no data" — absence of evidence is not held against anyone.
- normalise by volume (count / deduction): value per 100 completed cases.
- ranked only with at least `scheme.min_evaluations` valid evaluations.
- ties share the rank; the order inside a tie (which decides star and bottom
  places) is: higher citizen-evaluation points, then more valid evaluations,
  then more completed cases, then staff number / username.
- stars: top 10 % of the ranked, rounded up; bottom: 5 %, rounded down, but
  at least 1 once 20 or more are ranked.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.crypto import lookup_hash
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.workdays import WorkCalendar

from .models import Centre, Role, User
from .scoring_models import (
    FollowUp,
    Formula,
    Indicator,
    IndicatorScore,
    ManualEntry,
    Metric,
    ScoreAppeal,
    ScoringRun,
    ScoringRunEvent,
    ScoringScheme,
    Source,
    SpotCheck,
    StaffMonthScore,
    month_start,
    next_month,
    previous_month,
)
from .selectors import leaders_of

logger = logging.getLogger(__name__)

ONE = Decimal(1)
HUNDRED = Decimal(100)
STAR_SHARE = Decimal("0.10")
BOTTOM_SHARE = Decimal("0.05")
BOTTOM_MIN_HEADCOUNT = 20
FOLLOW_UP_WORKING_DAYS = 10
STALE_RUN_AFTER = timedelta(minutes=15)  # a queued/running run older than this lost its worker

Progress = Callable[[str], None]


def _q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _q4(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(month, time.min, tz), datetime.combine(next_month(month), time.min, tz)


# --- Scheme ---------------------------------------------------------------------------


def scheme_for(*, centre: Centre, month: date) -> ScoringScheme | None:
    return (
        ScoringScheme.objects.filter(centre=centre, valid_from__lte=month_start(month)).order_by("-valid_from").first()
    )


def scheme_errors(scheme: ScoringScheme) -> list[str]:
    """Why a scheme cannot be used (empty when it can): weights add up to 100, every indicator computable."""
    errors: list[str] = []
    indicators = list(scheme.indicators.all())
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
    if not (actor.is_superuser or actor.has_role(Role.CENTRE_ADMIN, Role.CITY_ADMIN)):
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


# --- Inputs ---------------------------------------------------------------------------


def _ensure_month_open(*, centre: Centre, month: date) -> None:
    if ScoringRun.objects.filter(centre=centre, month=month_start(month), status=ScoringRun.Status.LOCKED).exists():
        raise Conflict(_("%(month)s 的评分已锁定，只能通过申诉更正。") % {"month": f"{month:%Y-%m}"})


def _may_enter_inputs(actor: User, centre: Centre) -> bool:
    if actor.is_superuser or actor.is_city_wide:
        return True
    return actor.centre_id == centre.id and actor.has_role(Role.LEADER, Role.CENTRE_ADMIN)


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
    if not _may_enter_inputs(inspector, centre):
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
    if not _may_enter_inputs(author, centre):
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


# --- Computing ------------------------------------------------------------------------


@dataclass
class MetricValue:
    value: Decimal | None
    count: int
    hits: Decimal | None = None


@dataclass
class StaffFigures:
    evaluations: dict = field(default_factory=dict)
    complaints: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)
    spot: dict = field(default_factory=dict)
    manual: dict = field(default_factory=dict)  # indicator code -> {"n","total","avg"}


def window_staff_of(centre: Centre) -> QuerySet[User]:
    return User.objects.filter(centre=centre, is_active=True, roles__role=Role.WINDOW_STAFF).distinct()


def self_rated_evaluation_ids(*, staff: list[User], start: datetime, end: datetime) -> set[int]:
    """Ratings triggered on one's own case: the evaluator's phone, or the case applicant's phone,
    is the rated staff member's own. Staff phones are encrypted, so their keyed hashes are built
    here (one per person) and only the few matching evaluations are read."""
    from complaints.models import Evaluation

    own_hash = {user.id: lookup_hash(user.mobile) for user in staff if user.mobile}
    hashes = {h for h in own_hash.values() if h}
    if not hashes:
        return set()
    from cases.models import Case

    in_month = Evaluation.objects.filter(rated_at__gte=start, rated_at__lt=end)
    fields = ("id", "staff_id", "evaluator_phone_hash", "case__applicant_phone_hash")
    # Start from the hashed-phone indexes, never from the staff list: filtering a million rows by
    # 1,000 staff ids first takes seconds, the hash look-ups take milliseconds.
    own_cases = Case.objects.filter(applicant_phone_hash__in=hashes).values("id")
    rows = [
        *in_month.filter(evaluator_phone_hash__in=hashes).values_list(*fields),
        *in_month.filter(case__in=own_cases).values_list(*fields),
    ]
    return {pk for pk, staff_id, ev_hash, case_hash in rows if own_hash.get(staff_id) in (ev_hash, case_hash)}


def collect_figures(
    *, centre: Centre, month: date, staff: list[User], indicators: list[Indicator]
) -> tuple[dict[int, StaffFigures], dict[str, int]]:
    """Every source, aggregated per person with one grouped query each."""
    from cases.models import Case
    from complaints.models import Complaint, Evaluation

    start, end = month_bounds(month)
    figures: dict[int, StaffFigures] = {u.id: StaffFigures() for u in staff}
    sources = {i.source for i in indicators}
    stats = {"self_rated_excluded": 0}

    # Evaluations: verified-invalid ones (excluded) and self-triggered ones are left out.
    eval_thresholds = sorted(
        {int(i.threshold) for i in indicators if i.metric == Metric.EVAL_LEVEL_SHARE and i.threshold is not None}
    )
    self_rated = self_rated_evaluation_ids(staff=staff, start=start, end=end)
    stats["self_rated_excluded"] = len(self_rated)
    annotations = {
        "n": Count("id"),
        "avg": Avg("level"),
        "bad": Count("id", filter=Q(level__lte=2)),
        **{f"ge{t}": Count("id", filter=Q(level__gte=t)) for t in eval_thresholds},
    }
    # Filter by centre and month (the centre-and-date index), not by a list of 1,000 staff ids:
    # on a million rows that is several times faster; rows of other people are skipped below.
    evaluations = Evaluation.objects.filter(
        centre=centre, staff_id__isnull=False, rated_at__gte=start, rated_at__lt=end, excluded=False
    )
    if self_rated:
        evaluations = evaluations.exclude(id__in=self_rated)
    for row in evaluations.values("staff_id").annotate(**annotations).order_by():
        if row["staff_id"] in figures:
            figures[row["staff_id"]].evaluations = dict(row)

    if Source.COMPLAINTS in sources:
        categories = sorted({i.complaint_category for i in indicators if i.complaint_category})
        complaint_annotations = {
            "n": Count("id"),
            **{f"cat_{c}": Count("id", filter=Q(category=c)) for c in categories},
        }
        complaints = Complaint.objects.filter(
            centre=centre, staff_id__isnull=False, received_at__gte=start, received_at__lt=end, kind="complaint"
        ).exclude(status="merged")
        for row in complaints.values("staff_id").annotate(**complaint_annotations).order_by():
            if row["staff_id"] in figures:
                figures[row["staff_id"]].complaints = dict(row)

    # Cases are always read: their volume normalises other indicators.
    tz = ZoneInfo(settings.TIME_ZONE)
    completed = Q(status="completed", completed_at__gte=start, completed_at__lt=end)
    accepted = Q(accepted_at__gte=start, accepted_at__lt=end)
    cases = (
        Case.objects.filter(centre=centre)
        .filter(completed | accepted)
        .alias(completed_day=TruncDate("completed_at", tzinfo=tz))
        .values("handler_id")
        .annotate(
            completed=Count("id", filter=completed),
            accepted=Count("id", filter=accepted),
            with_due=Count("id", filter=completed & Q(due_date__isnull=False)),
            on_time=Count("id", filter=completed & Q(due_date__isnull=False, completed_day__lte=F("due_date"))),
            overdue=Count("id", filter=completed & Q(due_date__isnull=False, completed_day__gt=F("due_date"))),
        )
        .order_by()
    )
    for case_row in cases:
        if case_row["handler_id"] in figures:
            figures[case_row["handler_id"]].cases = dict(case_row)

    if Source.SPOT_CHECKS in sources:
        seconds = sorted(
            {
                int(i.threshold)
                for i in indicators
                if i.metric == Metric.SPOT_RESPONSE_WITHIN_SHARE and i.threshold is not None
            }
        )
        spot = (
            SpotCheck.objects.filter(centre=centre, checked_at__gte=start, checked_at__lt=end)
            .values("staff_id")
            .annotate(
                n=Count("id"),
                resp_n=Count("response_seconds"),
                resp_avg=Avg("response_seconds"),
                notif_n=Count("notification_correct"),
                notif_ok=Count("id", filter=Q(notification_correct=True)),
                etiq_n=Count("etiquette_score"),
                etiq_avg=Avg("etiquette_score"),
                violations=Sum("discipline_violations"),
                **{f"within{s}": Count("id", filter=Q(response_seconds__lte=s)) for s in seconds},
            )
            .order_by()
        )
        for row in spot:
            if row["staff_id"] in figures:
                figures[row["staff_id"]].spot = dict(row)

    if Source.MANUAL in sources:
        manual = (
            ManualEntry.objects.filter(centre=centre, month=month)
            .values("staff_id", "indicator_code")
            .annotate(n=Count("id"), total=Sum("value"), avg=Avg("value"))
            .order_by()
        )
        for row in manual:
            if row["staff_id"] in figures:
                figures[row["staff_id"]].manual[row["indicator_code"]] = dict(row)
    return figures, stats


def _ratio(hits: int, count: int) -> MetricValue:
    if not count:
        return MetricValue(None, 0, Decimal(hits))
    return MetricValue(_q4(Decimal(hits) / Decimal(count)), count, Decimal(hits))


def _avg(value: object, count: int) -> MetricValue:
    if not count or value is None:
        return MetricValue(None, 0)
    return MetricValue(_q4(_dec(value)), count)


def metric_value(indicator: Indicator, figures: StaffFigures) -> MetricValue:
    ev, cp, cs, sp = figures.evaluations, figures.complaints, figures.cases, figures.spot
    m = indicator.metric
    if m == Metric.EVAL_AVERAGE_LEVEL:
        return _avg(ev.get("avg"), ev.get("n", 0))
    if m == Metric.EVAL_LEVEL_SHARE:
        return _ratio(ev.get(f"ge{int(indicator.threshold or 0)}", 0), ev.get("n", 0))
    if m == Metric.EVAL_BAD_COUNT:
        return MetricValue(Decimal(ev.get("bad", 0)), ev.get("n", 0))
    if m == Metric.COMPLAINT_COUNT:
        key = f"cat_{indicator.complaint_category}" if indicator.complaint_category else "n"
        count = cp.get(key, 0)
        return MetricValue(Decimal(count), count)
    if m == Metric.CASES_COMPLETED:
        return MetricValue(Decimal(cs.get("completed", 0)), cs.get("completed", 0))
    if m == Metric.CASES_ACCEPTED:
        return MetricValue(Decimal(cs.get("accepted", 0)), cs.get("accepted", 0))
    if m == Metric.CASES_ON_TIME_SHARE:
        return _ratio(cs.get("on_time", 0), cs.get("with_due", 0))
    if m == Metric.CASES_OVERDUE:
        return MetricValue(Decimal(cs.get("overdue", 0)), cs.get("with_due", 0))
    if m == Metric.SPOT_RESPONSE_WITHIN_SHARE:
        return _ratio(sp.get(f"within{int(indicator.threshold or 0)}", 0), sp.get("resp_n", 0))
    if m == Metric.SPOT_RESPONSE_AVERAGE:
        return _avg(sp.get("resp_avg"), sp.get("resp_n", 0))
    if m == Metric.SPOT_NOTIFICATION_SHARE:
        return _ratio(sp.get("notif_ok", 0), sp.get("notif_n", 0))
    if m == Metric.SPOT_ETIQUETTE_AVERAGE:
        return _avg(sp.get("etiq_avg"), sp.get("etiq_n", 0))
    if m == Metric.SPOT_VIOLATIONS:
        return MetricValue(Decimal(sp.get("violations") or 0), sp.get("n", 0))
    manual = figures.manual.get(indicator.code, {})
    if m == Metric.MANUAL_SUM:
        return MetricValue(_dec(manual.get("total") or 0), manual.get("n", 0))
    if m == Metric.MANUAL_AVERAGE:
        return _avg(manual.get("avg"), manual.get("n", 0))
    raise ValidationFailed(_("未知的计量口径：%(metric)s") % {"metric": m})


def normalised(indicator: Indicator, value: Decimal | None, cases_completed: int) -> Decimal | None:
    if value is None or not indicator.normalise_by_volume or cases_completed <= 0:
        return value
    return _q4(value * HUNDRED / Decimal(cases_completed))


def indicator_score(indicator: Indicator, value: Decimal | None) -> Decimal:
    weight = indicator.weight
    target = indicator.target or ONE  # scheme_errors() refuses a missing target before any run
    if indicator.formula in (Formula.RATIO, Formula.AVERAGE):
        if value is None:
            return _q2(weight)
        if indicator.formula == Formula.AVERAGE and indicator.lower_is_better:
            if value <= target:
                return _q2(weight)
            return _q2(weight * target / value)
        return _q2(weight * min(ONE, value / target))
    if indicator.formula == Formula.COUNT:
        return _q2(weight * min(ONE, (value or Decimal(0)) / target))
    # deduction: never below zero (扣完为止)
    return _q2(max(Decimal(0), weight - (indicator.per_unit or Decimal(0)) * (value or Decimal(0))))


@dataclass
class _Row:
    staff: User
    total: Decimal
    evaluation_count: int
    cases_completed: int
    evaluation_points: Decimal
    ranked: bool
    not_ranked_reason: str
    indicator_rows: list[IndicatorScore]
    rank: int | None = None
    position: int | None = None
    is_star: bool = False
    is_bottom: bool = False


def star_count(ranked: int) -> int:
    return math.ceil(Decimal(ranked) * STAR_SHARE) if ranked else 0


def bottom_count(ranked: int) -> int:
    count = math.floor(Decimal(ranked) * BOTTOM_SHARE)
    if ranked >= BOTTOM_MIN_HEADCOUNT:
        count = max(count, 1)
    return count


def rank_rows(rows: list[_Row]) -> None:
    """Competition ranking (ties share a rank) and positions by the tie-break rule."""
    ranked = [r for r in rows if r.ranked]
    ranked.sort(
        key=lambda r: (
            -r.total,
            -r.evaluation_points,
            -r.evaluation_count,
            -r.cases_completed,
            r.staff.staff_no or "",
            r.staff.username,
        )
    )
    previous_total: Decimal | None = None
    for position, row in enumerate(ranked, start=1):
        row.position = position
        row.rank = position if row.total != previous_total else ranked[position - 2].rank
        previous_total = row.total
    stars = star_count(len(ranked))
    bottoms = bottom_count(len(ranked))
    for row in ranked[:stars]:
        row.is_star = True
    for row in ranked[len(ranked) - bottoms :] if bottoms else []:
        if not row.is_star:
            row.is_bottom = True


def _transition(run: ScoringRun, to: str, *, actor: User | None, note: str = "") -> None:
    if run.status == to:
        return
    if to not in ScoringRun.TRANSITIONS[run.status]:
        raise InvalidTransition(current=run.get_status_display(), requested=str(ScoringRun.Status(to).label))
    ScoringRunEvent.objects.create(run=run, old_status=run.status, new_status=to, actor=actor, note=note)
    run.status = to


def _may_run(actor: User | None, centre: Centre) -> bool:
    if actor is None:  # the beat task
        return True
    if actor.is_superuser or actor.is_city_wide:
        return True
    return actor.centre_id == centre.id and actor.has_role(Role.LEADER, Role.CENTRE_ADMIN)


def scoring_run_request(*, centre: Centre, month: date, actor: User) -> ScoringRun:
    """The manual re-run button: queue the month and compute it in the worker."""
    from .tasks import scoring_run_month_task

    if not _may_run(actor, centre):
        raise NotPermitted()
    month = month_start(month)
    with transaction.atomic():
        run, _created = ScoringRun.objects.select_for_update().get_or_create(centre=centre, month=month)
        if run.is_locked:
            raise Conflict(_("该月评分已锁定，只能通过申诉更正。"))
        busy = run.status in (ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING)
        if busy and not _created and run.updated_at > timezone.now() - STALE_RUN_AFTER:
            return run  # already on its way; a second click queues nothing
        _transition(run, ScoringRun.Status.QUEUED, actor=actor, note=_("手动重新计算"))
        run.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: scoring_run_month_task.delay(centre.id, month.isoformat(), actor.id))
    return run


def scoring_run_month(
    *,
    centre: Centre,
    month: date,
    actor: User | None,
    progress: Progress | None = None,
    for_appeal: bool = False,
) -> ScoringRun:
    """Compute (or re-compute) one centre-month. Idempotent: same inputs, same rows, no duplicates."""
    month = month_start(month)
    if not _may_run(actor, centre):
        raise NotPermitted()
    step = progress or (lambda _label: None)
    scheme = scheme_for(centre=centre, month=month)
    if scheme is None:
        raise ValidationFailed(_("%(month)s 没有适用的评分方案。") % {"month": f"{month:%Y-%m}"})
    errors = scheme_errors(scheme)
    if errors:
        raise ValidationFailed("；".join(errors))

    # Mark it running in its own short transaction so the month view can show the state.
    with transaction.atomic():
        run, _created = ScoringRun.objects.select_for_update().get_or_create(centre=centre, month=month)
        if run.is_locked and not for_appeal:
            raise Conflict(_("该月评分已锁定，只能通过申诉更正。"))
        if not run.is_locked:
            _transition(run, ScoringRun.Status.RUNNING, actor=actor)
            run.save(update_fields=["status", "updated_at"])
    step("staff")
    try:
        with transaction.atomic():
            run = ScoringRun.objects.select_for_update().get(id=run.id)
            _compute_into(run=run, scheme=scheme, step=step)
            if not run.is_locked:
                _transition(run, ScoringRun.Status.PREVIEW, actor=actor)
            run.error = ""
            run.save()
            if run.is_locked:
                _follow_ups_for(run)
    except Exception as exc:
        logger.exception("scoring run failed for centre %s month %s", centre.id, month)
        with transaction.atomic():
            failed = ScoringRun.objects.select_for_update().get(id=run.id)
            if not failed.is_locked:
                _transition(failed, ScoringRun.Status.FAILED, actor=actor, note=str(exc)[:500])
                failed.error = str(exc)[:2000]
                failed.save(update_fields=["status", "error", "updated_at"])
        raise
    step("done")
    return run


def _compute_into(*, run: ScoringRun, scheme: ScoringScheme, step: Progress) -> None:
    indicators = list(scheme.indicators.select_related("dimension").order_by("dimension__order", "order", "id"))
    staff = list(window_staff_of(run.centre).order_by("username"))
    step("figures")
    figures, _stats = collect_figures(centre=run.centre, month=run.month, staff=staff, indicators=indicators)
    appeals = {
        (a.staff_id, a.indicator_code): a
        for a in ScoreAppeal.objects.filter(
            centre=run.centre, month=run.month, status=ScoreAppeal.Status.UPHELD
        ).exclude(indicator_code="")
    }
    step("scores")
    rows: list[_Row] = []
    for user in staff:
        fig = figures[user.id]
        cases_completed = int(fig.cases.get("completed", 0))
        evaluation_count = int(fig.evaluations.get("n", 0))
        indicator_rows = []
        total = Decimal(0)
        evaluation_points = Decimal(0)
        for indicator in indicators:
            measured = metric_value(indicator, fig)
            value = normalised(indicator, measured.value, cases_completed)
            appeal = appeals.get((user.id, indicator.code))
            if appeal is not None:
                value = appeal.corrected_value
            score = indicator_score(indicator, value)
            total += score
            if indicator.source == Source.EVALUATIONS:
                evaluation_points += score
            indicator_rows.append(
                IndicatorScore(
                    indicator=indicator,
                    value=value,
                    score=score,
                    source_count=measured.count,
                    hit_count=measured.hits,
                    appeal=appeal,
                )
            )
        ranked = evaluation_count >= scheme.min_evaluations
        reason = (
            ""
            if ranked
            else _("有效评价 %(count)d 条，少于参与排名所需的 %(min)d 条")
            % {"count": evaluation_count, "min": scheme.min_evaluations}
        )
        rows.append(
            _Row(
                staff=user,
                total=_q2(total),
                evaluation_count=evaluation_count,
                cases_completed=cases_completed,
                evaluation_points=evaluation_points,
                ranked=ranked,
                not_ranked_reason=reason,
                indicator_rows=indicator_rows,
            )
        )
    rank_rows(rows)
    step("save")
    # Delete and re-create in one transaction: a re-run never leaves duplicates or stale rows.
    StaffMonthScore.objects.filter(run=run).delete()
    scores = StaffMonthScore.objects.bulk_create(
        [
            StaffMonthScore(
                run=run,
                staff=r.staff,
                window_id=r.staff.window_id,
                total=r.total,
                evaluation_count=r.evaluation_count,
                cases_completed=r.cases_completed,
                ranked=r.ranked,
                not_ranked_reason=r.not_ranked_reason,
                rank=r.rank,
                position=r.position,
                is_star=r.is_star,
                is_bottom=r.is_bottom,
            )
            for r in rows
        ]
    )
    children = []
    for month_score, row in zip(scores, rows, strict=True):
        for child in row.indicator_rows:
            child.staff_score = month_score
            children.append(child)
    IndicatorScore.objects.bulk_create(children, batch_size=2000)
    run.scheme = scheme
    run.staff_count = len(rows)
    run.ranked_count = sum(1 for r in rows if r.ranked)
    run.computed_at = timezone.now()
    run.compute_count += 1


# --- Lock, appeals, follow-ups --------------------------------------------------------


def _is_centre_leader(actor: User, centre: Centre) -> bool:
    if actor.is_superuser or actor.has_role(Role.CITY_LEADER):
        return True
    return actor.centre_id == centre.id and actor.has_role(Role.LEADER)


@transaction.atomic
def scoring_run_lock(*, run_id: int, actor: User) -> ScoringRun:
    run = ScoringRun.objects.select_for_update().select_related("centre").get(id=run_id)
    if not _is_centre_leader(actor, run.centre):
        raise NotPermitted(_("只有中心领导可以锁定月度评分。"))
    if run.is_locked:
        return run
    _transition(run, ScoringRun.Status.LOCKED, actor=actor)
    run.locked_at = timezone.now()
    run.locked_by = actor
    run.save(update_fields=["status", "locked_at", "locked_by", "updated_at"])
    _follow_ups_for(run)
    return run


def centre_head(centre: Centre) -> User | None:
    return leaders_of(centre).order_by("username").first()


def _follow_ups_for(run: ScoringRun) -> None:
    """Bottom in this locked month and in the previous locked month: interview + off-duty training."""
    previous = ScoringRun.objects.filter(
        centre=run.centre, month=previous_month(run.month), status=ScoringRun.Status.LOCKED
    ).first()
    now_bottom = set(run.scores.filter(is_bottom=True).values_list("staff_id", flat=True))
    before_bottom = (
        set(previous.scores.filter(is_bottom=True).values_list("staff_id", flat=True)) if previous else set()
    )
    due = FollowUp.objects.filter(centre=run.centre, month=run.month)
    qualifying = now_bottom & before_bottom
    # An appeal can lift someone out of the bottom: their open follow-ups are withdrawn.
    due.filter(status=FollowUp.Status.OPEN).exclude(staff_id__in=qualifying).update(
        status=FollowUp.Status.CANCELLED, updated_at=timezone.now()
    )
    if not qualifying:
        return
    head = centre_head(run.centre)
    deadline = WorkCalendar.load().add_working_days(timezone.localdate(), FOLLOW_UP_WORKING_DAYS).date
    for staff_id in sorted(qualifying):
        for kind in (FollowUp.Kind.INTERVIEW, FollowUp.Kind.TRAINING):
            follow_up, created = FollowUp.objects.get_or_create(
                staff_id=staff_id,
                month=run.month,
                kind=kind,
                defaults={"centre": run.centre, "assignee": head, "due_date": deadline},
            )
            if not created and follow_up.status == FollowUp.Status.CANCELLED:
                follow_up.status = FollowUp.Status.OPEN
                follow_up.save(update_fields=["status", "updated_at"])
            if created and head is not None:
                _notify_follow_up(follow_up, head)


def _notify_follow_up(follow_up: FollowUp, head: User) -> None:
    from notifications.services import notice_send

    staff = User.objects.get(id=follow_up.staff_id)
    text = _("%(name)s 连续两个月服务之星评分位列末位：请安排%(kind)s，期限 %(due)s。") % {
        "name": staff.name,
        "kind": follow_up.get_kind_display(),
        "due": follow_up.due_date,
    }
    transaction.on_commit(
        lambda: notice_send(recipient=head, key=f"score-follow-up-{follow_up.id}", text=text, url="/scores/centre/")
    )


@transaction.atomic
def follow_up_complete(*, follow_up_id: int, actor: User, outcome: str) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("centre").get(id=follow_up_id)
    if not _is_centre_leader(actor, follow_up.centre):
        raise NotPermitted()
    if follow_up.status == FollowUp.Status.DONE:
        return follow_up
    if follow_up.status != FollowUp.Status.OPEN:
        raise InvalidTransition(current=follow_up.get_status_display(), requested=str(FollowUp.Status.DONE.label))
    if not outcome.strip():
        raise ValidationFailed(_("请记录约谈或培训的结果。"), field="outcome")
    follow_up.status = FollowUp.Status.DONE
    follow_up.completed_at = timezone.now()
    follow_up.outcome = outcome.strip()
    follow_up.save(update_fields=["status", "completed_at", "outcome", "updated_at"])
    return follow_up


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
        if not _is_centre_leader(actor, appeal.centre):
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


# --- The monthly beat -----------------------------------------------------------------


def is_first_working_day_of_month(day: date, calendar: WorkCalendar | None = None) -> bool:
    calendar = calendar or WorkCalendar.load()
    if not calendar.is_working_day(day):
        return False
    probe = day.replace(day=1)
    while probe < day:
        if calendar.is_working_day(probe):
            return False
        probe += timedelta(days=1)
    return True


def scoring_monthly_centres(today: date) -> Iterable[Centre]:
    month = previous_month(month_start(today))
    return (
        Centre.objects.filter(scoring_schemes__valid_from__lte=month)
        .exclude(scoring_runs__month=month, scoring_runs__status=ScoringRun.Status.LOCKED)
        .distinct()
    )


# --- Explaining a score ---------------------------------------------------------------


def _pct(value: Decimal) -> str:
    return f"{_q2(value * HUNDRED)}%"


def _num(value: Decimal | None) -> str:
    """A configured figure as entered: 120, 0.5, 30 — not 120.0000."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


def explain(line: IndicatorScore) -> str:
    """Why an indicator scored what it did, in one sentence a member of staff can check."""
    indicator = line.indicator
    weight, target, value = indicator.weight, indicator.target, line.value
    if line.appeal_id:
        prefix = _("按申诉处理结果更正为 %(value)s；") % {"value": _q4(value) if value is not None else "—"}
    else:
        prefix = ""
    if indicator.formula == Formula.RATIO:
        if value is None:
            return prefix + _("本月无相关数据，按满分 %(weight)s 计。") % {"weight": weight}
        return prefix + _(
            "%(hits)s / %(count)s = %(value)s，目标 %(target)s：%(weight)s × min(1, %(value)s ÷ %(target)s) = %(score)s。"
        ) % {
            "hits": _q2(line.hit_count) if line.hit_count is not None else "—",
            "count": line.source_count,
            "value": _pct(value),
            "target": _pct(target or ONE),
            "weight": weight,
            "score": line.score,
        }
    if indicator.formula == Formula.AVERAGE:
        if value is None:
            return prefix + _("本月无相关数据，按满分 %(weight)s 计。") % {"weight": weight}
        if indicator.lower_is_better:
            return prefix + _(
                "%(count)s 条记录平均 %(value)s，不高于 %(target)s 得满分，否则 %(weight)s × %(target)s ÷ 平均值 = %(score)s。"
            ) % {
                "count": line.source_count,
                "value": _q2(value),
                "target": _num(target),
                "weight": weight,
                "score": line.score,
            }
        return prefix + _(
            "%(count)s 条记录平均 %(value)s，目标 %(target)s：%(weight)s × min(1, %(value)s ÷ %(target)s) = %(score)s。"
        ) % {
            "count": line.source_count,
            "value": _q2(value),
            "target": _num(target),
            "weight": weight,
            "score": line.score,
        }
    per_100 = _("（每百件办结件）") if indicator.normalise_by_volume else ""
    if indicator.formula == Formula.COUNT:
        return prefix + _(
            "计 %(value)s%(per)s，目标 %(target)s：%(weight)s × min(1, %(value)s ÷ %(target)s) = %(score)s。"
        ) % {
            "value": _q2(value or Decimal(0)),
            "per": per_100,
            "target": _num(target),
            "weight": weight,
            "score": line.score,
        }
    return prefix + _(
        "计 %(value)s%(per)s，每次扣 %(unit)s：%(weight)s − %(unit)s × %(value)s = %(score)s（扣完为止）。"
    ) % {
        "value": _q2(value or Decimal(0)),
        "per": per_100,
        "unit": _num(indicator.per_unit),
        "weight": weight,
        "score": line.score,
    }
