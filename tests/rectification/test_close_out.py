"""The close-out (销号) state machine: every allowed and forbidden move, and who may make it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from govservice.exceptions import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from notifications.models import Notice
from rectification.models import EvidenceFile, Problem, ProblemEvent
from rectification.services import problem_transition, progress_update_add
from staff.models import Role
from tests.factories.rectification import ProblemFactory
from tests.factories.staff import UserFactory

S = Problem.Status
pytestmark = pytest.mark.django_db

ALLOWED = {
    (S.OPEN, S.IN_RECTIFICATION),
    (S.IN_RECTIFICATION, S.CLOSE_OUT_APPLIED),
    (S.CLOSE_OUT_APPLIED, S.CLOSED),
    (S.CLOSE_OUT_APPLIED, S.IN_RECTIFICATION),
    (S.CLOSED, S.IN_RECTIFICATION),
}
ALL_PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


def _put(problem: Problem, status: str, applicant=None) -> Problem:
    Problem.objects.filter(id=problem.id).update(
        status=status, close_out_applied_by=applicant, closed_at=timezone.now() if status == S.CLOSED else None
    )
    problem.refresh_from_db()
    return problem


def _with_evidence(problem: Problem, pdf) -> None:
    from rectification.services import evidence_store

    evidence_store(problem=problem, update=None, actor=problem.responsible_person, upload=pdf())


def test_transition_table_is_what_the_walk_expects():
    table = {(a, b) for a, targets in Problem.TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("start", "to"), [p for p in ALL_PAIRS if p not in ALLOWED])
def test_forbidden_moves_are_refused_and_leave_no_history(problem, leader, start, to):
    _put(problem, start)
    before = ProblemEvent.objects.count()
    with pytest.raises(InvalidTransition):
        problem_transition(problem_id=problem.id, to=to, actor=leader, note="x")
    problem.refresh_from_db()
    assert problem.status == start
    assert ProblemEvent.objects.count() == before


@pytest.mark.parametrize(("start", "to"), sorted(ALLOWED))
def test_allowed_moves_succeed_for_the_right_actor_and_are_recorded(problem, leader, responsible, pdf, start, to):
    _with_evidence(problem, pdf)
    _put(problem, start, applicant=responsible if start == S.CLOSE_OUT_APPLIED else None)
    actor = responsible if to in (S.CLOSE_OUT_APPLIED,) or start == S.OPEN else leader
    problem_transition(problem_id=problem.id, to=to, actor=actor, note="理由")
    problem.refresh_from_db()
    assert problem.status == to
    event = problem.events.filter(kind=ProblemEvent.Kind.TRANSITION).last()
    assert (event.old_status, event.new_status, event.actor) == (start, to, actor)


def test_unknown_target_status_is_an_invalid_transition(problem, leader):
    with pytest.raises(InvalidTransition):
        problem_transition(problem_id=problem.id, to="archived", actor=leader)


def test_repeating_a_move_is_a_no_op(problem, leader):
    problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader)
    problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader)
    assert problem.events.filter(kind=ProblemEvent.Kind.TRANSITION).count() == 1


def test_close_out_application_needs_evidence(problem, responsible, pdf):
    _put(problem, S.IN_RECTIFICATION)
    with pytest.raises(ValidationFailed):
        problem_transition(problem_id=problem.id, to=S.CLOSE_OUT_APPLIED, actor=responsible)
    problem_transition(problem_id=problem.id, to=S.CLOSE_OUT_APPLIED, actor=responsible, files=[pdf()])
    problem.refresh_from_db()
    assert problem.status == S.CLOSE_OUT_APPLIED
    assert problem.close_out_applied_by == responsible
    assert EvidenceFile.objects.filter(problem=problem).count() == 1


def test_responsible_person_cannot_verify_their_own_close_out(centre, leader, pdf):
    boss = UserFactory(centre=centre, roles=[Role.LEADER])
    problem = ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=boss)
    _with_evidence(problem, pdf)
    _put(problem, S.CLOSE_OUT_APPLIED, applicant=leader)
    with pytest.raises(NotPermitted):
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=boss)
    with pytest.raises(NotPermitted):
        problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=boss, note="退回")
    problem.refresh_from_db()
    assert problem.status == S.CLOSE_OUT_APPLIED


def test_the_applicant_cannot_verify_their_own_application(problem, leader, pdf):
    _with_evidence(problem, pdf)
    _put(problem, S.IN_RECTIFICATION)
    problem_transition(problem_id=problem.id, to=S.CLOSE_OUT_APPLIED, actor=leader)
    with pytest.raises(NotPermitted):
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=leader)


def test_non_leaders_cannot_verify(problem, responsible, other_window_staff, centre_admin, pdf):
    _with_evidence(problem, pdf)
    _put(problem, S.CLOSE_OUT_APPLIED, applicant=responsible)
    for actor in (other_window_staff, centre_admin):
        with pytest.raises(NotPermitted):
            problem_transition(problem_id=problem.id, to=S.CLOSED, actor=actor)


def test_closing_sets_the_recheck_date_thirty_days_later_and_tells_the_responsible_person(
    problem, leader, responsible, pdf, django_capture_on_commit_callbacks
):
    _with_evidence(problem, pdf)
    _put(problem, S.CLOSE_OUT_APPLIED, applicant=responsible)
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=leader)
    problem.refresh_from_db()
    assert problem.verified_by == leader
    assert problem.recheck_on == timezone.localdate() + timedelta(days=30)
    assert Notice.objects.filter(recipient=responsible, text__contains="销号").exists()


def test_sending_back_needs_a_reason(problem, leader, responsible, pdf):
    _with_evidence(problem, pdf)
    _put(problem, S.CLOSE_OUT_APPLIED, applicant=responsible)
    with pytest.raises(ValidationFailed):
        problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader, note="  ")
    problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader, note="佐证不足")
    assert problem.events.last().note == "佐证不足"


def test_recheck_reopens_only_by_a_leader_with_a_reason(problem, leader, responsible):
    _put(problem, S.CLOSED)
    with pytest.raises(NotPermitted):
        problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=responsible, note="反弹")
    with pytest.raises(ValidationFailed):
        problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader)
    problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=leader, note="回头看发现反弹")
    problem.refresh_from_db()
    assert problem.status == S.IN_RECTIFICATION
    assert problem.closed_at is None
    assert problem.rechecked_at is not None


def test_a_leader_of_another_centre_sees_nothing(problem, other_leader):
    with pytest.raises(NotFound):
        problem_transition(problem_id=problem.id, to=S.IN_RECTIFICATION, actor=other_leader)


def test_first_progress_update_starts_rectification(problem, responsible):
    measure = problem.measures.get()
    progress_update_add(measure_id=measure.id, actor=responsible, text="已组织培训", percentage=40)
    problem.refresh_from_db()
    assert problem.status == S.IN_RECTIFICATION
    assert list(problem.events.values_list("kind", flat=True)) == [
        ProblemEvent.Kind.PROGRESS,
        ProblemEvent.Kind.TRANSITION,
    ]


def test_edits_are_recorded_with_the_actor(problem, leader):
    from rectification.services import problem_update

    problem_update(problem_id=problem.id, actor=leader, title="新的标题")
    event = problem.events.get(kind=ProblemEvent.Kind.EDIT)
    assert event.actor == leader
    assert event.changes["title"][1] == "新的标题"
