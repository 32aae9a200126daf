"""The monthly service-star run: request, compute, lock, and the first-working-day beat.

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
- stars: the scheme's star share (10 % unless changed) of the ranked, rounded up;
  bottom: its bottom share (5 %), rounded down, but at least 1 once its minimum
  headcount (20) or more are ranked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre
from govservice.replica import reads_from_replica
from govservice.selectors import centre_list
from govservice.workdays import WorkCalendar
from staff.models import User

from ..models import (
    Indicator,
    IndicatorScore,
    ScoreAppeal,
    ScoringRun,
    ScoringRunEvent,
    ScoringScheme,
    Source,
    StaffMonthScore,
    month_start,
    previous_month,
)
from .figures import collect_figures, has_activity, window_staff_of
from .follow_ups import follow_ups_for
from .leave import leave_days_for, working_days_in
from .ranking import RankingPolicy, RankRow, rank_rows
from .rules import ScoreLine, StaffFigures, _q2, indicator_score, metric_value, normalised, volume_target
from .schemes import scheme_errors, scheme_for

logger = logging.getLogger(__name__)

STALE_RUN_AFTER = timedelta(minutes=15)  # a queued/running run older than this lost its worker

Progress = Callable[[str], None]


def _transition(run: ScoringRun, to: str, *, actor: User | None, note: str = "") -> None:
    if run.status == to:
        return
    if to not in ScoringRun.TRANSITIONS[run.status]:
        raise InvalidTransition(current=run.get_status_display(), requested=str(ScoringRun.Status(to).label))
    ScoringRunEvent.objects.create(run=run, old_status=run.status, new_status=to, actor=actor, note=note)
    run.status = to


def _may_run(actor: User | None, centre: Centre) -> bool:
    if actor is None:  # the scheduled beat task runs every centre's month with no one signed in
        return True
    return access.can_manage_centre(actor, centre.id)


def scoring_run_request(*, centre: Centre, month: date, actor: User) -> ScoringRun:
    """The manual re-run button: queue the month and compute it in the worker."""
    from ..tasks import scoring_run_month_task

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
    # Asked to read from the replica (the monthly beat run): the figures are read there first, outside the
    # transaction (a read inside one always goes to the primary). Should another run of the month have
    # written in the meantime (an upheld appeal's re-run), they are read again under the run's lock.
    seen = run.compute_count
    try:
        inputs = _gather(centre=centre, month=month, scheme=scheme, step=step) if reads_from_replica() else None
        with transaction.atomic():
            run = ScoringRun.objects.select_for_update().get(id=run.id)
            if inputs is None or run.compute_count != seen:
                inputs = _gather(centre=centre, month=month, scheme=scheme, step=step)
            _compute_into(run=run, scheme=scheme, inputs=inputs, step=step)
            if not run.is_locked:
                _transition(run, ScoringRun.Status.PREVIEW, actor=actor)
            run.error = ""
            run.save()
            if run.is_locked:
                follow_ups_for(run)
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


@dataclass(frozen=True)
class _Inputs:
    """Everything a run reads (its writes come after, in `_compute_into`)."""

    indicators: list[Indicator]
    staff: list[User]
    figures: dict[int, StaffFigures]
    leave: dict[int, Decimal]
    working_days: int
    appeals: dict[tuple[int, str], ScoreAppeal]


def _gather(*, centre: Centre, month: date, scheme: ScoringScheme, step: Progress) -> _Inputs:
    indicators = list(scheme.indicators.select_related("dimension").order_by("dimension__order", "order", "id"))
    staff = list(window_staff_of(centre).order_by("username"))
    step("figures")
    figures, _stats = collect_figures(centre=centre, month=month, staff=staff, indicators=indicators)
    appeals = {
        (a.staff_id, a.indicator_code): a
        for a in ScoreAppeal.objects.filter(centre=centre, month=month, status=ScoreAppeal.Status.UPHELD).exclude(
            indicator_code=""
        )
    }
    return _Inputs(
        indicators=indicators,
        staff=staff,
        figures=figures,
        leave=leave_days_for(centre=centre, month=month),
        working_days=working_days_in(month),
        appeals=appeals,
    )


def _compute_into(*, run: ScoringRun, scheme: ScoringScheme, inputs: _Inputs, step: Progress) -> None:
    indicators, staff, figures = inputs.indicators, inputs.staff, inputs.figures
    leave, working_days, appeals = inputs.leave, inputs.working_days, inputs.appeals
    appealed = {staff_id for staff_id, _code in appeals}
    step("scores")
    rows: list[RankRow] = []
    for user in staff:
        fig = figures[user.id]
        cases_completed = int(fig.cases.get("completed", 0))
        evaluation_count = int(fig.evaluations.get("n", 0))
        leave_days = leave.get(user.id, Decimal(0))
        row = RankRow(
            staff=user,
            total=None,
            evaluation_count=evaluation_count,
            cases_completed=cases_completed,
            evaluation_points=Decimal(0),
            ranked=False,
            not_ranked_reason=_("本月无数据"),
            indicator_rows=[],
            leave_days=leave_days,
            pending_complaints=int(fig.complaints.get("pending", 0)),
        )
        rows.append(row)
        if not has_activity(fig) and user.id not in appealed:
            continue  # no activity: no data, never a score (an indicator of 0 would look like a result)
        total = Decimal(0)
        for indicator in indicators:
            measured = metric_value(indicator, fig)
            value = normalised(indicator, measured.value, cases_completed)
            appeal = appeals.get((user.id, indicator.code))
            if appeal is not None:
                value = appeal.corrected_value
            score = indicator_score(indicator, value, volume_target(indicator, working_days, leave_days))
            total += score
            if indicator.source == Source.EVALUATIONS:
                row.evaluation_points += score
            row.indicator_rows.append(
                ScoreLine(indicator.id, value, score, measured.count, measured.hits, appeal.id if appeal else None)
            )
        row.total = _q2(total)
        row.ranked = evaluation_count >= scheme.min_evaluations
        row.not_ranked_reason = (
            ""
            if row.ranked
            else _("有效评价 %(count)d 条，少于参与排名所需的 %(min)d 条")
            % {"count": evaluation_count, "min": scheme.min_evaluations}
        )
    rank_rows(rows, RankingPolicy.of(scheme))
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
                evaluation_points=r.evaluation_points,
                leave_days=r.leave_days,
                working_days=working_days,
                pending_complaints=r.pending_complaints,
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
    _insert_score_lines(
        [(month_score.id, *line) for month_score, row in zip(scores, rows, strict=True) for line in row.indicator_rows]
    )
    run.scheme = scheme
    run.staff_count = len(rows)
    run.ranked_count = sum(1 for r in rows if r.ranked)
    run.computed_at = timezone.now()
    run.compute_count += 1


ScoreLineRow = tuple[int, int, Decimal | None, Decimal, int, Decimal | None, int | None]


def _insert_score_lines(lines: list[ScoreLineRow]) -> None:
    """Write the indicator lines (staff score, indicator, value, score, source count, hits, appeal) in one statement.

    A province's monthly run writes 20 lines for each of 5,000 people: on PostgreSQL they go in as one
    INSERT … SELECT unnest(arrays) per centre, without a model instance each (bulk_create spent most of the
    run building and preparing 100,000 instances). The values are the ones bulk_create would send: Django's
    PostgreSQL backend passes a Decimal through as it is. Other databases (the embedded SQLite) use bulk_create.
    """
    alias = router.db_for_write(IndicatorScore)
    if connections[alias].vendor == "postgresql":
        _insert_score_lines_unnest(alias, lines)
    else:
        _bulk_create_score_lines(alias, lines)


def _bulk_create_score_lines(alias: str, lines: list[ScoreLineRow]) -> None:
    IndicatorScore.objects.using(alias).bulk_create(
        [
            IndicatorScore(
                staff_score_id=staff_score_id,
                indicator_id=indicator_id,
                value=value,
                score=score,
                source_count=source_count,
                hit_count=hit_count,
                appeal_id=appeal_id,
            )
            for staff_score_id, indicator_id, value, score, source_count, hit_count, appeal_id in lines
        ],
        batch_size=2000,
    )


def _insert_score_lines_unnest(alias: str, lines: list[ScoreLineRow]) -> None:
    if not lines:
        return
    connection = connections[alias]
    meta = IndicatorScore._meta
    names = ("staff_score_id", "indicator_id", "value", "score", "source_count", "hit_count", "appeal_id")
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    types = ("bigint", "bigint", "numeric", "numeric", "integer", "numeric", "bigint")
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})",  # noqa: S608 - the model's own names
            [list(column) for column in zip(*lines, strict=True)],
        )


@transaction.atomic
def scoring_run_lock(*, run_id: int, actor: User) -> ScoringRun:
    run = ScoringRun.objects.select_for_update().select_related("centre").get(id=run_id)
    if not access.can_lock_scores(actor, run.centre_id):
        raise NotPermitted(_("只有中心领导可以锁定月度评分。"))
    if run.is_locked:
        return run
    _transition(run, ScoringRun.Status.LOCKED, actor=actor)
    run.locked_at = timezone.now()
    run.locked_by = actor
    run.save(update_fields=["status", "locked_at", "locked_by", "updated_at"])
    follow_ups_for(run)
    return run


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
        centre_list()
        .filter(scoring_schemes__valid_from__lte=month)
        .exclude(scoring_runs__month=month, scoring_runs__status=ScoringRun.Status.LOCKED)
        .distinct()
    )
