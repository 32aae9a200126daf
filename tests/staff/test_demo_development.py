"""The staff-development demo: a scheme, inputs, a computed month, training, mentors, role-swap; twice = once."""

from __future__ import annotations

import io

import pytest

from staff.demo import DemoContext, load
from staff.development_models import (
    Attendance,
    MentorDuty,
    MentorPairing,
    RoleSwapFinding,
    TrainingPlan,
    TrainingSession,
)
from staff.scoring_models import IndicatorScore, ManualEntry, ScoringRun, ScoringScheme, SpotCheck

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


def test_demo_loads_every_part_and_a_second_run_adds_nothing():
    load(DemoContext(stdout=io.StringIO(), show_progress=False))
    first = _counts()
    load(DemoContext(stdout=io.StringIO(), show_progress=False))

    assert _counts() == first
    assert all(first.values()), first
    city_plan = TrainingPlan.objects.filter(centre__code="city")
    assert sum(p.planned_sessions for p in city_plan) == 48
    assert sum(p.planned_attendances for p in city_plan) == 1200
    assert ScoringRun.objects.filter(status="preview").count() == 2
    assert RoleSwapFinding.objects.filter(problem__source="role_swap").exists()
    for pairing in MentorPairing.objects.all():
        assert MentorPairing.objects.filter(mentor=pairing.mentor, ended_on__isnull=True).count() <= 2
