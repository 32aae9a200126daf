"""Tiered training, mentors and role-swap reports."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, transaction

from development.models import (
    Appraisal,
    DutyKind,
    MentorPairing,
    RoleSwapPlan,
    SeniorityBand,
    SessionType,
    TrainingPlan,
    TrainingSession,
    full_years_between,
    seniority_band,
)
from development.services import (
    attendance_sign_in,
    mentee_mark_independent,
    mentor_duty_record,
    mentor_ineligibility,
    mentor_missed_duties,
    mentor_pair,
    role_swap_finding_to_ledger,
    role_swap_report_file,
    session_audience,
    training_missed,
    training_plan_vs_actual,
)
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from staff.models import PositionType
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("started", "on", "band"),
    [
        (date(2025, 3, 10), date(2026, 3, 9), SeniorityBand.UNDER_1),
        (date(2025, 3, 10), date(2026, 3, 10), SeniorityBand.ONE_TO_3),
        (date(2025, 3, 10), date(2028, 3, 10), SeniorityBand.ONE_TO_3),
        (date(2025, 3, 10), date(2028, 3, 11), SeniorityBand.OVER_3),
        (date(2024, 2, 29), date(2025, 2, 28), SeniorityBand.UNDER_1),
        (date(2024, 2, 29), date(2025, 3, 1), SeniorityBand.ONE_TO_3),
        (date(2026, 1, 1), date(2026, 1, 1), SeniorityBand.UNDER_1),
    ],
)
def test_seniority_bands_on_their_boundaries(started, on, band):
    assert seniority_band(started, on) == band


def test_full_years_count_only_complete_anniversaries():
    assert full_years_between(date(2021, 6, 1), date(2026, 5, 31)) == 4
    assert full_years_between(date(2021, 6, 1), date(2026, 6, 1)) == 5


# --- training --------------------------------------------------------------------------


@pytest.fixture
def staff_by_band(centre, window):
    return {
        "new": make_window_staff(centre=centre, window=window, username="new", started_on=date(2026, 1, 5)),
        "mid": make_window_staff(centre=centre, window=window, username="mid", started_on=date(2024, 1, 5)),
        "old": make_window_staff(centre=centre, window=window, username="old", started_on=date(2018, 1, 5)),
    }


def test_a_session_is_for_its_band_and_position_type(centre, staff_by_band):
    session = TrainingSession.objects.create(
        centre=centre,
        session_type=SessionType.NEW_STAFF,
        held_on=date(2026, 3, 3),
        topic="新人",
        trainer="陈静",
        band=SeniorityBand.UNDER_1,
        position_type=PositionType.PROFESSIONAL,
    )
    policy = TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策", trainer="x"
    )
    comprehensive = TrainingSession.objects.create(
        centre=centre,
        session_type=SessionType.SENIOR_SEMINAR,
        held_on=date(2026, 3, 4),
        topic="研讨",
        trainer="x",
        position_type=PositionType.COMPREHENSIVE,
    )
    assert [p.username for p in session_audience(session)] == ["new"]
    assert [p.username for p in session_audience(policy)] == ["mid", "new", "old"]
    assert session_audience(comprehensive) == []


def test_plan_against_actual_and_who_missed_what(centre, staff_by_band, window_staff):
    TrainingPlan.objects.create(
        centre=centre,
        year=2026,
        session_type=SessionType.NEW_STAFF,
        band=SeniorityBand.UNDER_1,
        planned_sessions=24,
        planned_attendances=240,
    )
    TrainingPlan.objects.create(
        centre=centre, year=2026, session_type=SessionType.POLICY_UPDATE, planned_sessions=4, planned_attendances=240
    )
    policy = TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策", trainer="x"
    )
    new = TrainingSession.objects.create(
        centre=centre,
        session_type=SessionType.NEW_STAFF,
        held_on=date(2026, 3, 5),
        topic="新人",
        trainer="x",
        band=SeniorityBand.UNDER_1,
    )
    attendance_sign_in(session=policy, staff=staff_by_band["old"])
    attendance_sign_in(session=policy, staff=staff_by_band["old"])  # twice: once
    attendance_sign_in(session=policy, staff=staff_by_band["new"])
    attendance_sign_in(session=new, staff=staff_by_band["new"])

    summary = training_plan_vs_actual(centre=centre, year=2026)
    assert (summary.planned_sessions, summary.planned_attendances) == (28, 480)
    assert (summary.sessions_held, summary.attendances) == (2, 3)
    by_type = {line.plan.session_type: line for line in summary.lines}
    assert (by_type["policy_update"].sessions_held, by_type["policy_update"].attendances) == (1, 2)
    assert by_type["policy_update"].sessions_share == 25

    missed = training_missed(centre=centre, since=date(2026, 3, 1), until=date(2026, 3, 31))
    assert [(m.session.topic, sorted(p.username for p in m.staff)) for m in missed] == [
        ("政策", ["mid", "staff"]),
    ]


def test_sign_in_is_limited_to_the_centre(centre, foreign_staff):
    session = TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策", trainer="x"
    )
    with pytest.raises(NotPermitted):
        attendance_sign_in(session=session, staff=foreign_staff)


# --- mentors ---------------------------------------------------------------------------


@pytest.fixture
def veteran(centre, window):
    person = make_window_staff(centre=centre, window=window, username="veteran", started_on=date(2020, 3, 1))
    Appraisal.objects.create(staff=person, year=2024, grade=Appraisal.Grade.COMPETENT)
    Appraisal.objects.create(staff=person, year=2025, grade=Appraisal.Grade.EXCELLENT)
    return person


def _newcomers(centre, window, n):
    return [
        make_window_staff(centre=centre, window=window, username=f"newcomer{i}", started_on=date(2026, 2, 1))
        for i in range(n)
    ]


def test_mentor_needs_five_full_years_and_an_excellent_last_appraisal(centre, window, veteran):
    assert mentor_ineligibility(veteran, date(2026, 3, 1)) == []
    assert len(mentor_ineligibility(veteran, date(2025, 2, 28))) == 2  # 4 years; 2025 appraisal not yet
    junior = make_window_staff(centre=centre, window=window, username="junior", started_on=date(2021, 3, 2))
    Appraisal.objects.create(staff=junior, year=2025, grade=Appraisal.Grade.EXCELLENT)
    assert mentor_ineligibility(junior, date(2026, 3, 1)) == ["窗口工作不满 5 年"]
    Appraisal.objects.create(staff=veteran, year=2026, grade=Appraisal.Grade.COMPETENT)
    assert mentor_ineligibility(veteran, date(2027, 1, 15)) == ["最近一次年度考核不是优秀"]


def test_pairing_refuses_an_ineligible_mentor(centre, window, leader):
    junior = make_window_staff(centre=centre, window=window, username="junior", started_on=date(2023, 1, 1))
    (mentee,) = _newcomers(centre, window, 1)
    with pytest.raises(ValidationFailed):
        mentor_pair(mentor=junior, mentee=mentee, actor=leader, reason="new_staff", started_on=date(2026, 3, 2))


def test_a_mentor_takes_at_most_two_mentees(centre, window, veteran, leader):
    first, second, third = _newcomers(centre, window, 3)
    a = mentor_pair(mentor=veteran, mentee=first, actor=leader, reason="new_staff", started_on=date(2026, 3, 2))
    b = mentor_pair(mentor=veteran, mentee=second, actor=leader, reason="weaker", started_on=date(2026, 3, 2))
    assert (a.slot, b.slot) == (1, 2)
    assert veteran.roles.filter(role="mentor").exists()
    with pytest.raises(Conflict):
        mentor_pair(mentor=veteran, mentee=third, actor=leader, reason="new_staff", started_on=date(2026, 3, 2))
    # an ended pairing frees its slot
    MentorPairing.objects.filter(id=a.id).update(ended_on=date(2026, 4, 1))
    c = mentor_pair(mentor=veteran, mentee=third, actor=leader, reason="new_staff", started_on=date(2026, 4, 2))
    assert c.slot == 1


def test_the_database_caps_mentees_too(centre, window, veteran):
    first, second, third = _newcomers(centre, window, 3)
    MentorPairing.objects.create(
        centre=centre, mentor=veteran, mentee=first, slot=1, reason="new_staff", started_on=date(2026, 3, 2)
    )
    MentorPairing.objects.create(
        centre=centre, mentor=veteran, mentee=second, slot=2, reason="new_staff", started_on=date(2026, 3, 2)
    )
    for slot in (1, 3):
        with pytest.raises(IntegrityError), transaction.atomic():
            MentorPairing.objects.create(
                centre=centre, mentor=veteran, mentee=third, slot=slot, reason="new_staff", started_on=date(2026, 3, 2)
            )


def test_only_managers_pair(centre, window, veteran, window_staff):
    (mentee,) = _newcomers(centre, window, 1)
    with pytest.raises(NotPermitted):
        mentor_pair(mentor=veteran, mentee=mentee, actor=window_staff, reason="new_staff")


@time_machine.travel(date(2026, 5, 10))
def test_missed_duties_are_flagged_per_week_month_and_quarter(centre, window, veteran, leader):
    (mentee,) = _newcomers(centre, window, 1)
    pairing = mentor_pair(mentor=veteran, mentee=mentee, actor=leader, reason="new_staff", started_on=date(2026, 3, 2))
    for day in (date(2026, 3, 3), date(2026, 3, 12), date(2026, 3, 26)):  # weeks 1, 2 and 4 of March
        mentor_duty_record(pairing=pairing, kind=DutyKind.GUIDANCE, done_on=day, actor=veteran)
    mentor_duty_record(pairing=pairing, kind=DutyKind.CASE_REVIEW, done_on=date(2026, 3, 20), actor=veteran)
    with pytest.raises(ValidationFailed):
        mentor_duty_record(pairing=pairing, kind=DutyKind.GUIDANCE, done_on=date(2026, 3, 1), actor=veteran)

    missed = mentor_missed_duties(pairing, until=date(2026, 4, 5))

    assert [(p.kind, p.start) for p in missed] == [
        ("guidance", date(2026, 3, 16)),
        ("guidance", date(2026, 3, 30)),
    ]
    # March began before the pairing: not required. April, a full month, is missed by 30 April.
    later = mentor_missed_duties(pairing, until=date(2026, 4, 30))
    assert ("case_review", date(2026, 4, 1)) in [(p.kind, p.start) for p in later]
    assert not any(p.kind == "assessment" for p in later)  # Q1 began before the pairing; Q2 not over
    assert any(p.kind == "assessment" for p in mentor_missed_duties(pairing, until=date(2026, 6, 30)))


def test_independent_work_date_measures_days_to_independence(centre, window, veteran, leader):
    (mentee,) = _newcomers(centre, window, 1)
    pairing = mentor_pair(mentor=veteran, mentee=mentee, actor=leader, reason="new_staff", started_on=date(2026, 3, 2))
    mentee_mark_independent(pairing=pairing, on=date(2026, 4, 1), actor=veteran)
    assert pairing.days_to_independence == 30


# --- role-swap -------------------------------------------------------------------------


def test_a_role_swap_finding_becomes_a_ledger_item_in_one_step(centre, window, window_staff, leader):
    from rectification.models import Problem, ProblemSource

    plan = RoleSwapPlan.objects.create(centre=centre, year=2026, quarter=1, staff=window_staff, matter="企业开办")
    report = role_swap_report_file(
        plan=plan,
        actor=window_staff,
        done_on=date(2026, 2, 10),
        what_was_done="以申请人身份全程办理企业开办",
        minutes_taken=95,
        findings=[{"category": "efficiency", "title": "叫号后等待过长", "description": "取号到受理 40 分钟"}],
    )
    finding = report.findings.get()
    with pytest.raises(NotPermitted):
        role_swap_finding_to_ledger(finding_id=finding.id, actor=window_staff)

    problem = role_swap_finding_to_ledger(finding_id=finding.id, actor=leader)

    finding.refresh_from_db()
    assert finding.problem == problem
    assert problem.source == ProblemSource.ROLE_SWAP
    assert problem.category == "efficiency" and problem.title == "叫号后等待过长"
    assert problem.found_on == date(2026, 2, 10) and problem.responsible_leader == leader
    assert "企业开办" in problem.description
    assert problem.role_swap_finding == finding
    assert role_swap_finding_to_ledger(finding_id=finding.id, actor=leader) == problem  # repeat: no duplicate
    assert Problem.objects.count() == 1
    with pytest.raises(Conflict):
        role_swap_report_file(
            plan=plan, actor=window_staff, done_on=date(2026, 2, 11), what_was_done="x", minutes_taken=1
        )


def test_dashboard_figures_count_training_and_mentor_duties(centre, window, veteran, leader):
    from development.selectors import development_figures

    TrainingPlan.objects.create(
        centre=centre, year=2026, session_type=SessionType.POLICY_UPDATE, planned_sessions=4, planned_attendances=100
    )
    TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策", trainer="x"
    )
    (mentee,) = _newcomers(centre, window, 1)
    with time_machine.travel(date(2026, 3, 31)):
        pairing = mentor_pair(
            mentor=veteran, mentee=mentee, actor=leader, reason="new_staff", started_on=date(2026, 3, 2)
        )
        mentor_duty_record(pairing=pairing, kind=DutyKind.GUIDANCE, done_on=date(2026, 3, 3), actor=veteran)

    figures = development_figures(centre=centre, year=2026, until=date(2026, 3, 15))

    assert (figures.sessions_held, figures.sessions_planned, figures.attendances_planned) == (1, 4, 100)
    assert (figures.mentor_duties_done, figures.active_pairings) == (1, 1)
    assert figures.mentor_duties_missed == 1  # the week of 9 March
