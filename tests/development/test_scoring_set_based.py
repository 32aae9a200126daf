"""The monthly run's set-based reads and writes give what a plain per-person computation gives.

The run reads each source with one grouped query per centre-month and writes the indicator lines
in one statement (INSERT … unnest on PostgreSQL). Over random small months, every stored score,
value and count must equal a reference computed person by person from the rows themselves; and
the PostgreSQL statement must store exactly what bulk_create stores.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from development.models import IndicatorScore, ScoreAppeal, ScoringRun, Source, StaffMonthScore
from development.scoring import scoring_run_month
from development.scoring.defaults import scheme_create_default
from development.scoring.rules import (
    StaffFigures,
    _q2,
    indicator_score,
    metric_value,
    month_bounds,
    normalised,
    volume_target,
)
from development.scoring.runs import _bulk_create_score_lines, _insert_score_lines_unnest
from tests.factories.development import at, case, complaint, evaluation
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)
EXAMPLES = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# A moment inside January, or just outside it (the last hour of December, the first of February).
moments = st.one_of(
    st.builds(lambda d, h: at(2026, 1, d, h), st.integers(1, 31), st.integers(0, 23)),
    st.sampled_from([at(2025, 12, 31, 23), at(2026, 2, 1, 0)]),
)
evaluations = st.tuples(st.integers(1, 5), moments, st.booleans())  # level, rated at, excluded
complaints = st.tuples(
    moments,
    st.sampled_from(["", "attitude", "discipline", "efficiency"]),
    st.sampled_from(["", "founded", "partly", "unfounded"]),
    st.sampled_from(["closed", "merged"]),
    st.sampled_from(["complaint", "suggestion"]),
)
cases = st.tuples(
    st.one_of(st.none(), moments),  # completed at
    st.one_of(st.none(), moments),  # accepted at
    st.one_of(st.none(), st.integers(0, 40).map(lambda n: date(2025, 12, 25) + timedelta(days=n))),  # due
)
person = st.fixed_dictionaries(
    {
        "evaluations": st.lists(evaluations, max_size=7),
        "complaints": st.lists(complaints, max_size=3),
        "cases": st.lists(cases, max_size=5),
    }
)


def _reference(centre_staff: list, data: list[dict[str, Any]], indicators: list) -> dict[str, dict]:
    """Person by person, from the generated rows alone: what each stored line must hold."""
    start, end = month_bounds(JAN)
    thresholds = sorted({int(i.threshold) for i in indicators if i.metric == "eval_level_share" and i.threshold})
    categories = sorted({i.complaint_category for i in indicators if i.complaint_category})
    tz = timezone.get_default_timezone()
    expected: dict[str, dict] = {}
    for user, rows in zip(centre_staff, data, strict=True):
        levels = [lv for lv, when, excluded in rows["evaluations"] if start <= when < end and not excluded]
        fig = StaffFigures()
        if levels:
            fig.evaluations = {
                "n": len(levels),
                "avg": Decimal(sum(levels)) / Decimal(len(levels)),
                "bad": sum(1 for lv in levels if lv <= 2),
                **{f"ge{t}": sum(1 for lv in levels if lv >= t) for t in thresholds},
            }
        counted = [
            (cat, verdict)
            for when, cat, verdict, status, kind in rows["complaints"]
            if start <= when < end and status != "merged" and kind == "complaint"
        ]
        if counted:
            founded = [cat for cat, verdict in counted if verdict in ("founded", "partly")]
            fig.complaints = {
                "n": len(founded),
                "pending": sum(1 for _cat, verdict in counted if verdict == ""),
                **{f"cat_{c}": founded.count(c) for c in categories},
            }
        completed = [(done, due) for done, _acc, due in rows["cases"] if done is not None and start <= done < end]
        accepted = [acc for _done, acc, _due in rows["cases"] if acc is not None and start <= acc < end]
        if completed or accepted:
            with_due = [(done.astimezone(tz).date(), due) for done, due in completed if due is not None]
            fig.cases = {
                "completed": len(completed),
                "accepted": len(accepted),
                "with_due": len(with_due),
                "on_time": sum(1 for day, due in with_due if day <= due),
                "overdue": sum(1 for day, due in with_due if day > due),
            }
        active = bool(
            fig.evaluations.get("n")
            or fig.cases.get("completed")
            or fig.cases.get("accepted")
            or fig.complaints.get("n")
            or fig.complaints.get("pending")
        )
        lines = {}
        total = points = Decimal(0)
        if active:
            cases_completed = fig.cases.get("completed", 0)
            for indicator in indicators:
                measured = metric_value(indicator, fig)
                value = normalised(indicator, measured.value, cases_completed)
                score = indicator_score(indicator, value, volume_target(indicator, 21, Decimal(0)))  # no leave
                total += score
                points += score if indicator.source == Source.EVALUATIONS else 0
                lines[indicator.code] = (value, score, measured.count, measured.hits)
        expected[user.username] = {
            "total": _q2(total) if active else None,
            "evaluation_points": points,
            "evaluation_count": fig.evaluations.get("n", 0),
            "cases_completed": fig.cases.get("completed", 0),
            "pending_complaints": fig.complaints.get("pending", 0),
            "lines": lines,
        }
    return expected


@pytest.fixture
def month_staff(centre, window):
    scheme = scheme_create_default(centre=centre, valid_from=JAN, min_evaluations=2)
    people = [make_window_staff(centre=centre, window=window, username=f"p{i}", name=f"人{i}") for i in range(3)]
    return scheme, people


@EXAMPLES
@given(data=st.lists(person, min_size=3, max_size=3))
def test_every_stored_score_equals_a_per_person_reference_computation(month_staff, centre, data):
    scheme, people = month_staff
    indicators = list(scheme.indicators.select_related("dimension").order_by("dimension__order", "order", "id"))
    with transaction.atomic():
        for user, rows in zip(people, data, strict=True):
            for level, when, excluded in rows["evaluations"]:
                evaluation(user, level, when, excluded=excluded)
            for when, category, verdict, status, kind in rows["complaints"]:
                complaint(user, when, category=category, verdict=verdict, status=status, kind=kind)
            for done, accepted, due in rows["cases"]:
                case(user, completed_at=done, accepted_at=accepted, due_date=due)
        run = scoring_run_month(centre=centre, month=JAN, actor=None)
        expected = _reference(people, data, indicators)
        for score in StaffMonthScore.objects.filter(run=run).select_related("staff"):
            want = expected[score.staff.username]
            assert score.total == want["total"]
            assert score.evaluation_count == want["evaluation_count"]
            assert score.cases_completed == want["cases_completed"]
            assert score.pending_complaints == want["pending_complaints"]
            assert score.evaluation_points == want["evaluation_points"]
            stored = {
                line.indicator.code: (line.value, line.score, line.source_count, line.hit_count)
                for line in IndicatorScore.objects.filter(staff_score=score).select_related("indicator")
            }
            assert stored == {
                code: (
                    None if value is None else value.quantize(Decimal("0.0001")),
                    s,
                    count,
                    None if hits is None else hits.quantize(Decimal("0.01")),
                )
                for code, (value, s, count, hits) in want["lines"].items()
            }
        assert StaffMonthScore.objects.filter(run=run).count() == len(people)
        transaction.set_rollback(True)


decimals4 = st.decimals(min_value=-99_999_999, max_value=99_999_999, places=4, allow_nan=False)
decimals2 = st.decimals(min_value=-9999, max_value=9999, places=2, allow_nan=False)
lines = st.lists(
    st.tuples(
        st.one_of(st.none(), decimals4),
        decimals2,
        st.integers(0, 2_000_000_000),
        st.one_of(st.none(), st.decimals(min_value=0, max_value=9_999_999_999, places=2, allow_nan=False)),
        st.booleans(),
    ),
    min_size=1,
    max_size=20,
)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the unnest statement is PostgreSQL's path")
@EXAMPLES
@given(rows=lines)
def test_the_unnest_statement_stores_exactly_what_bulk_create_stores(month_staff, centre, rows):
    scheme, people = month_staff
    indicators = list(scheme.indicators.order_by("id"))
    run = ScoringRun.objects.create(centre=centre, month=JAN)
    appeal_id = None
    with transaction.atomic():
        a, b = (StaffMonthScore.objects.create(run=run, staff=user, working_days=20) for user in people[:2])
        if any(with_appeal for *_rest, with_appeal in rows):
            appeal_id = ScoreAppeal.objects.create(
                centre=centre, staff=people[0], month=JAN, indicator_code=indicators[0].code, reason="复核"
            ).id

        def as_lines(staff_score_id: int) -> list:
            return [
                (staff_score_id, indicators[n].id, value, score, count, hits, appeal_id if with_appeal else None)
                for n, (value, score, count, hits, with_appeal) in enumerate(rows)
            ]

        _bulk_create_score_lines("default", as_lines(a.id))
        _insert_score_lines_unnest("default", as_lines(b.id))
        fields = ("indicator_id", "value", "score", "source_count", "hit_count", "appeal_id")
        by_orm = list(IndicatorScore.objects.filter(staff_score=a).order_by("indicator_id").values_list(*fields))
        by_unnest = list(IndicatorScore.objects.filter(staff_score=b).order_by("indicator_id").values_list(*fields))
        assert by_unnest == by_orm
        assert len(by_orm) == len(rows)
        transaction.set_rollback(True)
    run.delete()


def test_a_centre_month_takes_the_same_statements_whatever_its_headcount(centre, window):
    """The statements of a centre-month do not grow with its people (no query per person or per indicator)."""
    scheme_create_default(centre=centre, valid_from=JAN, min_evaluations=1)
    people = [make_window_staff(centre=centre, window=window, username=f"q{i}", name=f"人{i}") for i in range(12)]
    for user in people:
        evaluation(user, 5, at(2026, 1, 5))
        case(user, completed_at=at(2026, 1, 6), due_date=date(2026, 1, 9))
    scoring_run_month(centre=centre, month=JAN, actor=None)  # both measured runs are re-runs
    with CaptureQueriesContext(connection) as few:
        scoring_run_month(centre=centre, month=JAN, actor=None)
    more = [make_window_staff(centre=centre, window=window, username=f"r{i}", name=f"人{i}") for i in range(12)]
    for user in more:
        evaluation(user, 4, at(2026, 1, 7))
        complaint(user, at(2026, 1, 8), category="attitude", verdict="founded")
    with CaptureQueriesContext(connection) as many:
        scoring_run_month(centre=centre, month=JAN, actor=None)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert StaffMonthScore.objects.filter(run__centre=centre, run__month=JAN).count() == 24
    assert IndicatorScore.objects.filter(staff_score__run__centre=centre).count() == 24 * 20
