"""Issue 19: a new scheme version may score the queue figures (efficiency); an older month keeps its scheme."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from development.models import Formula, Indicator, IndicatorScore, Metric, Source
from development.scoring.runs import scoring_run_month
from intake.queue.services import queue_events_ingest
from tests.factories.development import scheme_with
from tests.factories.intake import queue_device, queue_event

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)

OLD = [
    {
        "code": "points",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.COUNT,
        "target": 10,
        "weight": 100,
    }
]
NEW = [
    {
        "code": "wait",
        "source": Source.QUEUE,
        "metric": Metric.QUEUE_WAIT_AVERAGE,
        "formula": Formula.AVERAGE,
        "target": Decimal(10),
        "lower_is_better": True,
        "weight": 40,
    },
    {
        "code": "within15",
        "source": Source.QUEUE,
        "metric": Metric.QUEUE_WAIT_WITHIN_SHARE,
        "formula": Formula.RATIO,
        "threshold": Decimal(15),
        "target": Decimal(1),
        "weight": 30,
    },
    {
        "code": "no_show",
        "source": Source.QUEUE,
        "metric": Metric.QUEUE_NO_SHOW_SHARE,
        "formula": Formula.AVERAGE,
        "target": Decimal("0.1"),
        "lower_is_better": True,
        "weight": 30,
    },
]


def test_a_new_scheme_version_scores_the_queue_and_the_old_month_keeps_its_own(centre, window, window_staff, leader):
    window_staff.staff_no = "S001"
    window_staff.save(update_fields=["staff_no"])
    for indicator in OLD:
        indicator["target"] = Decimal(indicator["target"])
    scheme_with(centre, OLD, valid_from=date(2026, 1, 1))
    scheme_with(centre, NEW, valid_from=DEC, name="2026-12 起：含排队叫号", min_evaluations=0)
    device, _raw = queue_device(centre)
    taken = datetime(2026, 12, 7, 9, 0, tzinfo=SH)
    events = []
    # Waits of 10, 20 and 30 minutes; the fourth ticket is a no-show after a 6-minute wait.
    for n, wait in enumerate((10, 20, 30, 6), start=1):
        ticket = f"A{n:03d}"
        events += [
            queue_event("taken", ticket, taken),
            queue_event("called", ticket, taken + timedelta(minutes=wait), window=window.code, staff_no="S001"),
        ]
    events.append(queue_event("no_show", "A004", taken + timedelta(minutes=9)))
    with time_machine.travel(datetime(2026, 12, 20, 10, 0, tzinfo=SH), tick=False):
        queue_events_ingest(device=device, items=events)
        december = scoring_run_month(centre=centre, month=DEC, actor=leader)
        november = scoring_run_month(centre=centre, month=NOV, actor=leader)

    scores = {s.indicator.code: s for s in IndicatorScore.objects.filter(staff_score__run=december)}
    assert scores["wait"].value == Decimal("16.5000")  # (10 + 20 + 30 + 6) / 4 minutes
    assert scores["wait"].score == Decimal("24.24")  # 40 × 10 / 16.5
    assert (scores["within15"].value, scores["within15"].source_count) == (Decimal("0.5000"), 4)
    assert scores["no_show"].value == Decimal("0.2500")
    assert scores["no_show"].score == Decimal("12.00")  # 30 × 0.1 / 0.25
    assert december.scheme.name == "2026-12 起：含排队叫号"
    assert november.scheme.name == "测试方案"  # the old version: November is scored without the queue
    old_codes = set(IndicatorScore.objects.filter(staff_score__run=november).values_list("indicator__code", flat=True))
    assert not old_codes & {"wait", "within15", "no_show"}


def test_queue_indicators_ask_for_lower_is_better_and_a_threshold(centre):
    scheme = scheme_with(centre, [])
    wait = Indicator(scheme=scheme, code="w", source=Source.QUEUE, metric=Metric.QUEUE_WAIT_AVERAGE)
    wait.formula, wait.target, wait.weight = Formula.AVERAGE, Decimal(10), Decimal(10)
    assert "lower_is_better" in wait.rule_errors()
    within = Indicator(scheme=scheme, code="x", source=Source.QUEUE, metric=Metric.QUEUE_WAIT_WITHIN_SHARE)
    within.formula, within.target, within.weight = Formula.RATIO, Decimal(1), Decimal(10)
    assert "threshold" in within.rule_errors()
