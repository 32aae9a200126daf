"""Service-star scoring: formulas to exact values, idempotence, versions, ranking, follow-ups, appeals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from development.models import (
    FollowUp,
    Formula,
    Indicator,
    IndicatorScore,
    ManualEntry,
    Metric,
    ScoringRun,
    Source,
    StaffMonthScore,
    TieRule,
)
from development.scoring import (
    DEFAULT_POLICY,
    RankingPolicy,
    RankRow,
    bottom_count,
    boundary_notes,
    is_first_working_day_of_month,
    manual_entry_record,
    rank_rows,
    scheme_errors,
    scheme_new_version,
    score_appeal_decide,
    score_appeal_file,
    scoring_run_lock,
    scoring_run_month,
    star_count,
)
from development.scoring.defaults import scheme_create_default
from govservice.crypto import lookup_hash
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from staff.models import Role
from tests.factories.development import at, case, complaint, evaluation, scheme_with, spot_check
from tests.factories.staff import UserFactory
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)

FORMULA_SCHEME = [
    {
        "code": "very_sat",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_LEVEL_SHARE,
        "formula": Formula.RATIO,
        "threshold": Decimal(5),
        "target": Decimal("0.95"),
        "weight": 30,
    },
    {
        "code": "eval_avg",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 20,
    },
    {
        "code": "resp_avg",
        "source": Source.SPOT_CHECKS,
        "metric": Metric.SPOT_RESPONSE_AVERAGE,
        "formula": Formula.AVERAGE,
        "target": Decimal(30),
        "lower_is_better": True,
        "weight": 10,
    },
    {
        "code": "completed",
        "source": Source.CASES,
        "metric": Metric.CASES_COMPLETED,
        "formula": Formula.COUNT,
        "target": Decimal(10),
        "weight": 20,
    },
    {
        "code": "complaints",
        "source": Source.COMPLAINTS,
        "metric": Metric.COMPLAINT_COUNT,
        "formula": Formula.DEDUCTION,
        "per_unit": Decimal("0.1"),
        "normalise_by_volume": True,
        "weight": 10,
    },
    {
        "code": "violations",
        "source": Source.SPOT_CHECKS,
        "metric": Metric.SPOT_VIOLATIONS,
        "formula": Formula.DEDUCTION,
        "per_unit": Decimal(3),
        "weight": 10,
    },
]


@pytest.fixture
def scored_month(centre, window_staff, other_window_staff, leader):
    """Known January inputs for `window_staff`; `other_window_staff` has none."""
    scheme = scheme_with(centre, FORMULA_SCHEME, min_evaluations=3)
    window_staff.mobile = "13900001111"
    window_staff.save()
    for level in (5, 5, 5, 4):
        evaluation(window_staff, level, at(2026, 1, 10))
    evaluation(window_staff, 1, at(2026, 1, 11), excluded=True)  # verified invalid
    # triggered by the staff member on their own phone: left out
    evaluation(window_staff, 1, at(2026, 1, 12), evaluator_phone_hash=lookup_hash("13900001111"))
    evaluation(window_staff, 1, at(2026, 2, 1, 0))  # next month
    own_case = case(window_staff)  # the staff member was the applicant: their own case
    type(own_case).objects.filter(id=own_case.id).update(applicant_phone_hash=lookup_hash("13900001111"))
    evaluation(window_staff, 1, at(2026, 1, 13), case=own_case)
    spot_check(window_staff, leader, at(2026, 1, 5), response_seconds=30, discipline_violations=1)
    spot_check(window_staff, leader, at(2026, 1, 20), response_seconds=60)
    for day in range(1, 6):
        case(window_staff, completed_at=at(2026, 1, day + 10), due_date=date(2026, 1, 31))
    case(window_staff, completed_at=at(2025, 12, 30), due_date=date(2026, 1, 31))
    complaint(window_staff, at(2026, 1, 15), category="attitude", verdict="founded")  # verified: counts
    return scheme


def _values(run, user):
    score = run.scores.get(staff=user)
    return score, {i.indicator.code: i for i in score.indicator_scores.select_related("indicator")}


def test_every_formula_kind_scores_known_inputs_to_exact_values(scored_month, centre, window_staff, leader):
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)

    score, by_code = _values(run, window_staff)
    # ratio: 3 of 4 valid ratings very satisfied = 0.75; 30 × 0.75 / 0.95
    assert by_code["very_sat"].value == Decimal("0.7500")
    assert by_code["very_sat"].source_count == 4
    assert by_code["very_sat"].hit_count == 3
    assert by_code["very_sat"].score == Decimal("23.68")
    # average: (5+5+5+4)/4 = 4.75; 20 × 4.75 / 5
    assert by_code["eval_avg"].value == Decimal("4.7500")
    assert by_code["eval_avg"].score == Decimal("19.00")
    # average, lower is better: (30+60)/2 = 45 s against 30 s → 10 × 30 / 45
    assert by_code["resp_avg"].value == Decimal("45.0000")
    assert by_code["resp_avg"].score == Decimal("6.67")
    # count: 5 completed in January (December's does not count), target 10
    assert by_code["completed"].value == Decimal(5)
    assert by_code["completed"].score == Decimal("10.00")
    # deduction normalised by volume: 1 complaint per 5 cases = 20 per 100; 10 − 0.1 × 20
    assert by_code["complaints"].value == Decimal("20.0000")
    assert by_code["complaints"].score == Decimal("8.00")
    # deduction: 1 violation × 3
    assert by_code["violations"].value == Decimal(1)
    assert by_code["violations"].score == Decimal("7.00")
    assert score.total == Decimal("74.35")
    assert score.evaluation_count == 4
    assert score.ranked and score.rank == 1


def test_staff_with_too_few_evaluations_is_listed_as_not_ranked_with_the_reason(
    scored_month, centre, other_window_staff, leader
):
    evaluation(other_window_staff, 5, at(2026, 1, 9))  # one valid evaluation of the 3 needed
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)

    score, by_code = _values(run, other_window_staff)
    assert not score.ranked and score.rank is None and not score.is_star
    assert "1" in score.not_ranked_reason and "3" in score.not_ranked_reason
    # 1 of 1 very satisfied: full marks; no data for an average: full marks; nothing to deduct: full
    # marks; no volume: 0
    assert by_code["very_sat"].value == Decimal(1) and by_code["very_sat"].score == Decimal("30.00")
    assert by_code["resp_avg"].value is None and by_code["resp_avg"].score == Decimal("10.00")
    assert by_code["completed"].score == Decimal("0.00")
    assert score.total == Decimal("80.00")


def test_staff_with_no_activity_have_no_data_never_a_score_and_are_not_ranked(
    scored_month, centre, other_window_staff, leader
):
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)

    score = run.scores.get(staff=other_window_staff)
    assert score.total is None and not score.indicator_scores.exists()
    assert not score.ranked and score.rank is None and not score.is_star and not score.is_bottom
    assert score.not_ranked_reason == "本月无数据"
    assert run.ranked_count == 1 and run.staff_count == 2


def test_running_a_month_twice_gives_the_same_result_and_no_duplicates(scored_month, centre, leader, window_staff):
    first = scoring_run_month(centre=centre, month=JAN, actor=leader)
    totals = dict(first.scores.values_list("staff_id", "total"))
    counts = (StaffMonthScore.objects.count(), IndicatorScore.objects.count())

    second = scoring_run_month(centre=centre, month=JAN, actor=leader)

    assert second.id == first.id
    assert ScoringRun.objects.count() == 1
    # the second person has no data: a month row without indicator lines
    assert (StaffMonthScore.objects.count(), IndicatorScore.objects.count()) == counts == (2, 6)
    assert dict(second.scores.values_list("staff_id", "total")) == totals
    assert second.compute_count == 2


def test_old_months_keep_their_scheme_version_after_the_scheme_changes(
    scored_month, centre, admin, leader, window_staff
):
    january = scoring_run_month(centre=centre, month=JAN, actor=leader)
    total_before = january.scores.get(staff=window_staff).total
    v2 = scheme_new_version(scheme=scored_month, valid_from=FEB, actor=admin)
    Indicator.objects.filter(scheme=v2, code="completed").update(target=Decimal(5))
    Indicator.objects.filter(scheme=v2, code="very_sat").update(target=Decimal("0.75"))

    again = scoring_run_month(centre=centre, month=JAN, actor=leader)
    february = scoring_run_month(centre=centre, month=FEB, actor=leader)

    assert again.scheme == scored_month
    assert again.scores.get(staff=window_staff).total == total_before == Decimal("74.35")
    assert february.scheme == v2
    assert v2.indicators.count() == scored_month.indicators.count() == 6


def test_a_locked_scheme_is_frozen(scored_month, centre, leader):
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    assert not scored_month.is_frozen
    scoring_run_lock(run_id=run.id, actor=leader)
    assert scored_month.is_frozen


def test_default_scheme_has_7_dimensions_20_indicators_and_weights_adding_to_100(centre):
    scheme = scheme_create_default(centre=centre, valid_from=JAN)
    assert scheme.dimensions.count() == 7
    assert scheme.indicators.count() == 20
    assert scheme_errors(scheme) == []
    assert scheme.indicators.get(code="resp30").threshold == 30


def test_scheme_validation_catches_weights_and_sources(centre, leader):
    scheme = scheme_create_default(centre=centre, valid_from=JAN)
    Indicator.objects.filter(scheme=scheme, code="praise").update(weight=Decimal(5))
    Indicator.objects.filter(scheme=scheme, code="quiz").update(source="")
    errors = scheme_errors(scheme)
    assert any("102" in e for e in errors)
    assert any(e.startswith("quiz") for e in errors)
    with pytest.raises(ValidationFailed):
        scoring_run_month(centre=centre, month=JAN, actor=leader)


def test_indicator_rejects_a_metric_of_another_source():
    indicator = Indicator(
        code="x", source=Source.CASES, metric=Metric.EVAL_BAD_COUNT, formula=Formula.RATIO, weight=Decimal(1)
    )
    errors = indicator.rule_errors()
    assert {"metric", "formula"} <= errors.keys()


# --- ranking -------------------------------------------------------------------------------


def _rows(totals, **extra):
    users = [UserFactory.build(username=f"u{i:02d}", name=f"u{i:02d}", staff_no=f"{i:04d}") for i in range(len(totals))]
    return [
        RankRow(
            staff=u,
            total=Decimal(t),
            evaluation_count=extra.get("counts", [10] * len(totals))[i],
            cases_completed=0,
            evaluation_points=Decimal(extra.get("points", [0] * len(totals))[i]),
            ranked=True,
            not_ranked_reason="",
            indicator_rows=[],
        )
        for i, (u, t) in enumerate(zip(users, totals, strict=True))
    ]


@pytest.mark.parametrize(
    ("ranked", "stars", "bottom"),
    [(0, 0, 0), (1, 1, 0), (9, 1, 0), (10, 1, 1), (12, 2, 1), (19, 2, 1), (20, 2, 1), (40, 4, 2), (60, 6, 3)],
)
def test_stars_round_up_and_bottom_rounds_down_but_is_at_least_one_from_10(ranked, stars, bottom):
    assert star_count(ranked) == stars
    assert bottom_count(ranked) == bottom


TIE_AT_THE_STAR_LINE = [90, 80, 80, 70] + [60 - i for i in range(16)]  # 20 ranked: 2 star places, 1 bottom


def test_a_tie_across_the_star_line_makes_every_tied_person_a_star_by_default():
    rows = _rows(TIE_AT_THE_STAR_LINE, points=[0, 0, 30] + [0] * 17)

    rank_rows(rows)  # a new scheme's rule: all tied are stars

    assert [r.rank for r in rows[:4]] == [1, 2, 2, 4]
    assert [r.is_star for r in rows[:4]] == [True, True, True, False]
    assert [r.staff.username for r in rows if r.is_bottom] == ["u19"]


def test_the_published_indicator_rule_decides_a_tie_on_the_total_by_evaluation_points():
    policy = RankingPolicy(Decimal("0.10"), Decimal("0.05"), 10, TieRule.INDICATORS)
    rows = _rows(TIE_AT_THE_STAR_LINE, points=[0, 0, 30] + [0] * 17)

    rank_rows(rows, policy)

    assert [r.rank for r in rows[:4]] == [1, 2, 2, 4]  # still the same rank
    assert rows[2].position == 2 and rows[1].position == 3
    assert [r.is_star for r in rows[:4]] == [True, False, True, False]


def test_people_equal_on_every_published_indicator_share_the_outcome_whatever_their_staff_numbers():
    policy = RankingPolicy(Decimal("0.10"), Decimal("0.05"), 10, TieRule.INDICATORS)
    rows = _rows([50, 50, 50] + [40 - i for i in range(9)], counts=[5, 9, 9] + [10] * 9)  # 12 ranked: 2 places

    rank_rows(rows, policy)

    assert [r.rank for r in rows[:3]] == [1, 1, 1]
    assert [r.staff.username for r in sorted(rows, key=lambda r: r.position)][:3] == ["u01", "u02", "u00"]
    assert [r.is_star for r in rows[:3]] == [False, True, True]  # u01 and u02 alike, u00 has fewer evaluations


def test_the_month_page_explains_a_tie_on_the_star_line():
    rows = _rows([85, 85, 85] + [80 - i for i in range(9)])  # 12 ranked: 2 star places, 1 bottom

    rank_rows(rows)
    ranked = [r for r in rows if r.ranked]
    star_note, bottom_note = boundary_notes(
        ranked, [r.is_star for r in ranked], [r.is_bottom for r in ranked], DEFAULT_POLICY
    )

    assert (star_note.places, star_note.taken, star_note.tie_total, star_note.tie_places) == (2, 3, 85, 2)
    assert [p.name for p in star_note.people] == ["u00", "u01", "u02"] and star_note.all_in
    assert (bottom_note.places, bottom_note.taken, bottom_note.tie_total) == (1, 1, None)


# --- two bottom months, lock, appeals ------------------------------------------------------


MANUAL_ONLY = [
    {
        "code": "points",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.COUNT,
        "target": Decimal(100),
        "weight": 100,
    },
]


@pytest.fixture
def twenty(centre, window):
    scheme_with(centre, MANUAL_ONLY)
    return [make_window_staff(centre=centre, window=window, username=f"w{i:02d}") for i in range(20)]


def _month_points(people, month, admin_user, lowest):
    for index, person in enumerate(people):
        value = Decimal(1) if person == lowest else Decimal(50 + index)
        ManualEntry.objects.create(
            centre=person.centre,
            staff=person,
            month=month,
            indicator_code="points",
            value=value,
            reason="测试",
            author=admin_user,
        )


def test_bottom_two_months_running_creates_an_interview_and_off_duty_training(twenty, centre, leader, admin):
    weakest = twenty[7]
    _month_points(twenty, JAN, admin, weakest)
    _month_points(twenty, FEB, admin, weakest)
    january = scoring_run_month(centre=centre, month=JAN, actor=leader)
    scoring_run_lock(run_id=january.id, actor=leader)
    assert not FollowUp.objects.exists()  # one bottom month is not enough

    february = scoring_run_month(centre=centre, month=FEB, actor=leader)
    assert not FollowUp.objects.exists()  # a preview does not count
    scoring_run_lock(run_id=february.id, actor=leader)

    follow_ups = FollowUp.objects.filter(staff=weakest, month=FEB)
    assert sorted(follow_ups.values_list("kind", flat=True)) == ["interview", "training"]
    assert {f.assignee for f in follow_ups} == {leader}
    assert FollowUp.objects.count() == 2
    scoring_run_lock(run_id=february.id, actor=leader)  # repeated lock: nothing new
    assert FollowUp.objects.count() == 2


def test_bottom_in_one_month_only_creates_nothing(twenty, centre, leader, admin):
    _month_points(twenty, JAN, admin, twenty[3])
    _month_points(twenty, FEB, admin, twenty[4])
    for month in (JAN, FEB):
        run = scoring_run_month(centre=centre, month=month, actor=leader)
        scoring_run_lock(run_id=run.id, actor=leader)
    assert not FollowUp.objects.exists()


def test_follow_up_is_tracked_to_completion(twenty, centre, leader, admin):
    from development.scoring import follow_up_complete

    _month_points(twenty, JAN, admin, twenty[0])
    _month_points(twenty, FEB, admin, twenty[0])
    for month in (JAN, FEB):
        scoring_run_lock(run_id=scoring_run_month(centre=centre, month=month, actor=leader).id, actor=leader)
    interview = FollowUp.objects.get(kind="interview")
    with pytest.raises(ValidationFailed):
        follow_up_complete(follow_up_id=interview.id, actor=leader, outcome=" ")
    done = follow_up_complete(follow_up_id=interview.id, actor=leader, outcome="已约谈，制定改进计划")
    assert done.status == FollowUp.Status.DONE and done.completed_at


def test_after_lock_inputs_change_only_through_an_appeal_which_the_rerun_honours(twenty, centre, leader, admin):
    _month_points(twenty, JAN, admin, twenty[0])
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)
    with pytest.raises(Conflict):
        manual_entry_record(
            staff=twenty[0], month=JAN, indicator_code="points", value=Decimal(40), reason="补录", author=leader
        )
    with pytest.raises(Conflict):
        scoring_run_month(centre=centre, month=JAN, actor=leader)

    appeal = score_appeal_file(staff=twenty[0], month=JAN, reason="漏记表扬", indicator_code="points")
    with pytest.raises(Conflict):
        score_appeal_file(staff=twenty[0], month=JAN, reason="再次申诉")
    with pytest.raises(NotPermitted):
        score_appeal_decide(appeal_id=appeal.id, actor=twenty[1], upheld=True, decision="x", corrected_value=Decimal(1))
    score_appeal_decide(
        appeal_id=appeal.id, actor=leader, upheld=True, decision="核实属实", corrected_value=Decimal(90)
    )

    run.refresh_from_db()
    score = run.scores.get(staff=twenty[0])
    line = score.indicator_scores.get()
    assert run.status == ScoringRun.Status.LOCKED
    assert line.value == Decimal(90) and line.score == Decimal("90.00") and line.appeal_id == appeal.id
    assert score.total == Decimal("90.00") and not score.is_bottom
    # a later re-run (another appeal) still honours it
    other = score_appeal_file(staff=twenty[1], month=JAN, reason="x", indicator_code="points")
    score_appeal_decide(appeal_id=other.id, actor=leader, upheld=False, decision="不成立")
    assert run.scores.get(staff=twenty[0]).total == Decimal("90.00")


def test_only_leaders_lock_a_month(twenty, centre, leader):
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    with pytest.raises(NotPermitted):
        scoring_run_lock(run_id=run.id, actor=twenty[0])


# --- the monthly beat ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 1), True),  # Monday
        (date(2026, 6, 2), False),
        (date(2026, 2, 2), True),  # 1 Feb is a Sunday
        (date(2026, 2, 1), False),
        (date(2026, 10, 1), False),  # National Day
    ],
)
def test_first_working_day_of_the_month(day, expected):
    assert is_first_working_day_of_month(day) is expected


def test_monthly_task_acts_only_on_the_first_working_day(twenty, centre, admin):
    from development.tasks import scoring_monthly_task

    with time_machine.travel(date(2026, 2, 3)):
        assert scoring_monthly_task() == 0
    assert not ScoringRun.objects.exists()
    with time_machine.travel(date(2026, 2, 2)):
        assert scoring_monthly_task() == 1
    run = ScoringRun.objects.get()
    assert run.month == JAN and run.status == ScoringRun.Status.PREVIEW and run.staff_count == 20


def test_management_command_runs_a_month(twenty, centre, capsys):
    from django.core.management import call_command

    call_command("scoring_run", "--month", "2026-01", "--centre", centre.code)
    assert ScoringRun.objects.get().status == ScoringRun.Status.PREVIEW


def test_manual_entry_needs_a_reason_and_an_inputs_role(twenty, leader):
    with pytest.raises(ValidationFailed):
        manual_entry_record(
            staff=twenty[0], month=JAN, indicator_code="points", value=Decimal(1), reason=" ", author=leader
        )
    with pytest.raises(NotPermitted):
        manual_entry_record(
            staff=twenty[0], month=JAN, indicator_code="points", value=Decimal(1), reason="x", author=twenty[1]
        )
    entry = manual_entry_record(
        staff=twenty[0],
        month=date(2026, 1, 15),
        indicator_code="points",
        value=Decimal(1),
        reason="表扬信",
        author=leader,
    )
    assert entry.month == JAN and entry.author == leader


def test_window_staff_role_is_required_to_be_scored(twenty, centre, leader):
    helper = UserFactory(centre=centre, roles=[Role.HELPER])
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    assert not run.scores.filter(staff=helper).exists()


def test_benchmark_scores_a_generated_month_from_database_aggregates():
    """The full benchmark (1,000 staff, 1,000,000 evaluations) is `manage.py scoring_benchmark`."""
    import re
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("scoring_benchmark", staff=100, evaluations=5_000, cases=500, stdout=out)
    text = out.getvalue()
    match = re.search(r"scored 100 staff \((\d+) ranked\) in ([\d.]+) s", text)
    assert match, text
    assert int(match.group(1)) == 100  # 50 evaluations each, well above the minimum of 10
    assert float(match.group(2)) < 10
    assert not ScoringRun.objects.exists()  # everything was rolled back


def test_the_rerun_button_requeues_only_a_stale_run(twenty, centre, leader, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from development.scoring import scoring_run_request

    run = ScoringRun.objects.create(centre=centre, month=JAN, status=ScoringRun.Status.RUNNING)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scoring_run_request(centre=centre, month=JAN, actor=leader)
    assert callbacks == [] and ScoringRun.objects.get().status == ScoringRun.Status.RUNNING  # busy: nothing queued

    ScoringRun.objects.filter(id=run.id).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        scoring_run_request(centre=centre, month=JAN, actor=leader)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.PREVIEW and run.staff_count == 20


def test_a_new_scheme_has_one_bottom_place_from_10_ranked_and_all_tied_stars():
    assert (
        RankingPolicy(
            star_share=Decimal("0.10"),
            bottom_share=Decimal("0.05"),
            bottom_min_headcount=10,
            tie_rule=TieRule.ALL_TIED,
        )
        == DEFAULT_POLICY
    )


def test_the_scheme_numbers_decide_the_stars_and_the_bottom_places():
    policy = RankingPolicy(star_share=Decimal("0.20"), bottom_share=Decimal("0.10"), bottom_min_headcount=5)
    assert star_count(10, policy) == 2
    assert bottom_count(10, policy) == 1
    assert bottom_count(4, policy) == 0
    assert bottom_count(5, policy) == 1
    rows = _rows([90 - i for i in range(10)])
    rank_rows(rows, policy)
    assert [r.staff.username for r in rows if r.is_star] == ["u00", "u01"]
    assert [r.staff.username for r in rows if r.is_bottom] == ["u09"]
