"""Close-out (销号) is verified independently: never by the responsible person, the responsible leader or
the applicant; a centre with no such leader escalates to the city leaders."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from django.utils.translation import override

from govservice import access
from govservice.exceptions import NotPermitted
from notifications.models import Notice
from rectification.models import Problem
from rectification.selectors import close_out_escalated, close_out_verifiers
from rectification.services import evidence_store, problem_transition
from staff.models import Role
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

S = Problem.Status
pytestmark = pytest.mark.django_db


def _applied(problem: Problem, pdf, applicant) -> Problem:
    evidence_store(problem=problem, update=None, actor=applicant, upload=pdf())
    Problem.objects.filter(id=problem.id).update(status=S.IN_RECTIFICATION)
    problem_transition(problem_id=problem.id, to=S.CLOSE_OUT_APPLIED, actor=applicant)
    problem.refresh_from_db()
    return problem


def test_the_responsible_leader_cannot_verify_their_own_problem(problem, responsible, responsible_leader, pdf):
    _applied(problem, pdf, responsible)
    with pytest.raises(NotPermitted) as refused:
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=responsible_leader)
    assert "责任领导" in refused.value.message
    problem.refresh_from_db()
    assert problem.status == S.CLOSE_OUT_APPLIED and problem.verified_by is None


def test_another_leader_of_the_centre_verifies_and_is_recorded(problem, responsible, leader, pdf):
    _applied(problem, pdf, responsible)
    assert [u.id for u in close_out_verifiers(problem)] == [leader.id]
    assert not close_out_escalated(problem)
    problem_transition(problem_id=problem.id, to=S.CLOSED, actor=leader)
    problem.refresh_from_db()
    assert problem.verified_by == leader != problem.responsible_leader


def test_only_independent_leaders_are_asked_to_verify(
    problem, responsible, responsible_leader, leader, city_leader, pdf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _applied(problem, pdf, responsible)
    asked = set(Notice.objects.filter(text__contains="待验收").values_list("recipient__username", flat=True))
    assert asked == {leader.username}  # not the responsible leader; the city is not needed


def test_a_centre_with_a_single_leader_escalates_to_the_city(
    other_centre, other_leader, city_leader, pdf, django_capture_on_commit_callbacks
):
    person = UserFactory(centre=other_centre, roles=[Role.WINDOW_STAFF])
    problem = ProblemFactory(centre=other_centre, responsible_leader=other_leader, responsible_person=person)
    MeasureFactory(problem=problem, owner=person)
    with django_capture_on_commit_callbacks(execute=True):
        _applied(problem, pdf, person)
    assert close_out_escalated(problem)
    assert [u.id for u in close_out_verifiers(problem)] == [city_leader.id]
    assert Notice.objects.filter(recipient=city_leader, text__contains="待验收").exists()
    assert not Notice.objects.filter(recipient=other_leader, text__contains="待验收").exists()

    with pytest.raises(NotPermitted) as refused:
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=other_leader)
    assert "市级领导" in refused.value.message
    with override("en"), pytest.raises(NotPermitted) as in_english:
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=other_leader)
    assert "city" in in_english.value.message.lower()

    problem_transition(problem_id=problem.id, to=S.CLOSED, actor=city_leader)
    problem.refresh_from_db()
    assert (problem.status, problem.verified_by) == (S.CLOSED, city_leader)


def test_a_city_leader_who_is_the_responsible_leader_is_not_independent_either(
    centre, leader, city_leader, responsible, pdf
):
    problem = ProblemFactory(centre=centre, responsible_leader=city_leader, responsible_person=responsible)
    _applied(problem, pdf, responsible)
    with pytest.raises(NotPermitted):
        problem_transition(problem_id=problem.id, to=S.CLOSED, actor=city_leader)
    problem_transition(problem_id=problem.id, to=S.CLOSED, actor=leader)


def test_the_demo_ledger_is_closed_out_independently(settings):
    from rectification import demo as ledger_demo
    from staff import demo as staff_demo

    settings.DEBUG = True
    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    ledger_demo.load(ctx)
    closed = Problem.objects.filter(status=S.CLOSED).select_related("verified_by")
    assert closed.filter(code="TD-01").exists()
    for problem in closed:
        assert problem.verified_by_id not in (
            problem.responsible_leader_id,
            problem.responsible_person_id,
            problem.close_out_applied_by_id,
        ), problem.code
        assert access.can_close_out(problem.verified_by, problem), problem.code
        assert problem.closed_at is not None and problem.closed_at <= timezone.now()
