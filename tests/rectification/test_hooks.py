"""The ledger's hooks: complaints fills them in ready(); with no provider the figures are zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from rectification import hooks
from rectification.models import Problem
from rectification.selectors import problem_list_for
from rectification.services import problems_flag_recurrence

pytestmark = pytest.mark.django_db


def _complaint_after_close_out(problem: Problem, window) -> None:
    from complaints.models import Channel, Complaint

    closed_at = timezone.now() - timedelta(days=3)
    Problem.objects.filter(id=problem.id).update(status=Problem.Status.CLOSED, closed_at=closed_at, window=window)
    channel = Channel.objects.create(code="hall", name="大厅", kind=Channel.Kind.HOTLINE)
    Complaint.objects.create(
        tracking_no="TS-1",
        centre=problem.centre,
        channel=channel,
        content="态度差",
        category=problem.category,
        window=window,
        received_at=timezone.now(),
        problem=problem,
    )


def test_complaints_registers_its_counters_and_voices_when_the_apps_are_ready():
    assert {"complaint_count", "review_count"} <= set(hooks._problem_counters)
    assert list(hooks._new_voice_providers) == ["complaint", "bad_review"]


def test_the_ledger_counts_complaints_through_the_registered_counter(problem, window, leader):
    _complaint_after_close_out(problem, window)
    row = problem_list_for(user=leader).get(id=problem.id)
    assert (row.complaint_count, row.review_count) == (1, 0)


def test_without_providers_the_counts_are_zero_and_nothing_recurs(problem, window, leader, monkeypatch):
    _complaint_after_close_out(problem, window)
    monkeypatch.setattr(hooks, "_problem_counters", {})
    monkeypatch.setattr(hooks, "_new_voice_providers", {})
    row = problem_list_for(user=leader).get(id=problem.id)
    assert (row.complaint_count, row.review_count) == (0, 0)
    assert problems_flag_recurrence() == 0
