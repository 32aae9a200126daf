"""The development demo (after the staff demo): a scheme, inputs, a computed month, training, mentors, role-swap; twice = once."""

from __future__ import annotations

import io

import pytest

from development.demo import load_programmes
from development.models import (
    Attendance,
    IndicatorScore,
    ManualEntry,
    MentorDuty,
    MentorPairing,
    RoleSwapFinding,
    ScoringRun,
    ScoringScheme,
    SpotCheck,
    TrainingPlan,
    TrainingSession,
)
from staff.demo import DemoContext, load

pytestmark = pytest.mark.django_db

MODELS = [
    ScoringScheme,
    SpotCheck,
    ManualEntry,
    ScoringRun,
    IndicatorScore,
    TrainingPlan,
    TrainingSession,
    Attendance,
    MentorPairing,
    MentorDuty,
    RoleSwapFinding,
]


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _load() -> None:
    ctx = DemoContext(stdout=io.StringIO(), show_progress=False)
    load(ctx)
    load_programmes(ctx)


def test_demo_loads_every_part_and_a_second_run_adds_nothing():
    _load()
    first = _counts()
    _load()

    assert _counts() == first
    assert all(first.values()), first
    city_plan = TrainingPlan.objects.filter(centre__code="city")
    assert sum(p.planned_sessions for p in city_plan) == 48
    assert sum(p.planned_attendances for p in city_plan) == 1200
    assert ScoringRun.objects.filter(status="preview").count() == 2
    assert RoleSwapFinding.objects.filter(problem__source="role_swap").exists()
    for pairing in MentorPairing.objects.all():
        assert MentorPairing.objects.filter(mentor=pairing.mentor, ended_on__isnull=True).count() <= 2
