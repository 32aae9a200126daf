"""Deciding a close-out (销号) on the problem's own page takes a confirmation step."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rectification.models import Problem, ProblemEvent
from tests.factories.rectification import close_out_applied

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(centre, responsible_leader, window_staff) -> Problem:
    """Verified by `leader`, who is not its responsible leader (an independent close-out)."""
    return close_out_applied(centre, window_staff, code="TD-03", responsible_leader=responsible_leader)


def test_verifying_without_the_confirm_field_only_says_what_will_happen(as_user, leader, applied):
    url = reverse("rectification:problem-transition", args=[applied.pk])
    response = as_user(leader).post(url, {"to": "closed", "note": "现场核查，整改到位"})
    assert response.status_code == 200
    assert 'data-testid="confirm-what"' in response.text and "TD-03" in response.text
    assert 'name="confirm" value="1"' in response.text
    applied.refresh_from_db()
    assert applied.status == Problem.Status.CLOSE_OUT_APPLIED and applied.verified_by is None
    assert not ProblemEvent.objects.filter(problem=applied, new_status=Problem.Status.CLOSED).exists()


def test_the_confirmed_verification_closes_the_problem_with_the_leader_in_its_history(as_user, leader, applied):
    url = reverse("rectification:problem-transition", args=[applied.pk])
    response = as_user(leader).post(url, {"to": "closed", "note": "现场核查，整改到位", "confirm": "1"})
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.status == Problem.Status.CLOSED and applied.verified_by == leader
    event = ProblemEvent.objects.get(problem=applied, new_status=Problem.Status.CLOSED)
    assert event.actor == leader and event.note == "现场核查，整改到位"


def test_sending_back_is_confirmed_too_and_without_a_reason_is_refused(as_user, leader, applied):
    url = reverse("rectification:problem-transition", args=[applied.pk])
    client = as_user(leader)
    client.post(url, {"to": "in_rectification", "note": ""})
    client.post(url, {"to": "in_rectification", "note": "佐证不足"})
    applied.refresh_from_db()
    assert applied.status == Problem.Status.CLOSE_OUT_APPLIED
    client.post(url, {"to": "in_rectification", "note": "佐证不足", "confirm": "1"})
    applied.refresh_from_db()
    assert applied.status == Problem.Status.IN_RECTIFICATION
