"""How one indicator is measured, scored and explained (the formulas in development.scoring's docstring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from govservice.exceptions import ValidationFailed

from ..models import Formula, Indicator, IndicatorScore, Metric, next_month

ONE = Decimal(1)
HUNDRED = Decimal(100)


def _q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _q4(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(month, time.min, tz), datetime.combine(next_month(month), time.min, tz)


@dataclass
class MetricValue:
    value: Decimal | None
    count: int
    hits: Decimal | None = None


class ScoreLine(NamedTuple):
    """One indicator of one person's month as the run computes it (stored as an IndicatorScore)."""

    indicator_id: int
    value: Decimal | None
    score: Decimal
    source_count: int
    hit_count: Decimal | None
    appeal_id: int | None


@dataclass
class StaffFigures:
    evaluations: dict = field(default_factory=dict)
    complaints: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)
    spot: dict = field(default_factory=dict)
    manual: dict = field(default_factory=dict)  # indicator code -> {"n","total","avg"}
    queue: dict = field(default_factory=dict)  # intake.queue.selectors.queue_counts_by_staff's row


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
    qu = figures.queue
    if m == Metric.QUEUE_WAIT_AVERAGE:
        return _avg(qu.get("wait_avg_minutes"), qu.get("wait_n", 0))
    if m == Metric.QUEUE_WAIT_WITHIN_SHARE:
        return _ratio(qu.get(f"within{int(indicator.threshold or 0)}", 0), qu.get("wait_n", 0))
    if m == Metric.QUEUE_NO_SHOW_SHARE:
        # A share as an average with lower_is_better: a rate of 0 scores full marks, a ratio would reward it.
        return _avg(_q4(Decimal(qu.get("no_shows", 0)) / Decimal(qu["n"])) if qu.get("n") else None, qu.get("n", 0))
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


VOLUME_METRICS = frozenset({Metric.CASES_COMPLETED, Metric.CASES_ACCEPTED})


def available_share(working_days: int, leave_days: Decimal) -> Decimal:
    """The share of the month's working days the person was not on leave (0 to 1)."""
    if working_days <= 0 or leave_days <= 0:
        return ONE
    return max(Decimal(0), min(ONE, (Decimal(working_days) - leave_days) / Decimal(working_days)))


def volume_target(indicator: Indicator, working_days: int, leave_days: Decimal) -> Decimal | None:
    """A volume indicator's target pro-rated by days of leave; every other indicator keeps its target."""
    if indicator.metric not in VOLUME_METRICS or indicator.target is None or leave_days <= 0:
        return indicator.target
    return _q4(indicator.target * available_share(working_days, leave_days))


def indicator_score(indicator: Indicator, value: Decimal | None, target: Decimal | None = None) -> Decimal:
    weight = indicator.weight
    # scheme_errors() refuses a missing target before any run; a pro-rated one comes from volume_target().
    target = target if target is not None else (indicator.target or ONE)
    if target <= 0:  # a whole month of leave: no volume can be asked
        return _q2(weight)
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
        score_of = line.staff_score
        prorated = volume_target(indicator, score_of.working_days, score_of.leave_days)
        if prorated != target and prorated is not None:
            prefix += _("休假 %(leave)s 个工作日（本月 %(days)s 个工作日），目标按比例折算为 %(target)s；") % {
                "leave": _num(score_of.leave_days),
                "days": score_of.working_days,
                "target": _num(prorated),
            }
            target = prorated
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
