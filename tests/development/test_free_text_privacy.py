"""Development's typed texts (appeals, spot checks, follow-ups, mentor duties, role-swap reports)
keep no phone or ID number in clear."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.models import Model

from development.models import (
    FollowUp,
    ManualEntry,
    MentorDuty,
    RoleSwapFinding,
    RoleSwapPlan,
    RoleSwapReport,
    ScoreAppeal,
    ScoringRunEvent,
    SpotCheck,
)
from govservice.sealed import ScrubbedCharField, ScrubbedTextField
from tests.factories.development import at, spot_check

pytestmark = pytest.mark.django_db

TEXT = "请回电13912345678 身份证110101199003077774"
MASKED = "请回电139****5678 身份证110101********7774"


def _raw(model: type[Model], column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (SpotCheck, "note"),
        (ManualEntry, "reason"),
        (ScoringRunEvent, "note"),
        (ScoreAppeal, "reason"),
        (ScoreAppeal, "decision"),
        (FollowUp, "outcome"),
        (MentorDuty, "note"),
        (RoleSwapReport, "what_was_done"),
        (RoleSwapFinding, "title"),
        (RoleSwapFinding, "description"),
    ],
)
def test_every_typed_text_is_a_scrubbed_field(model, field):
    assert isinstance(model._meta.get_field(field), ScrubbedTextField | ScrubbedCharField)


def test_a_spot_check_note_is_stored_masked(window_staff, leader):
    check = spot_check(window_staff, leader, at(2026, 1, 5), response_seconds=20, note=TEXT)
    assert _raw(SpotCheck, "note", check.pk) == MASKED


def test_a_role_swap_report_and_its_finding_are_stored_masked(centre, window_staff):
    plan = RoleSwapPlan.objects.create(centre=centre, year=2026, quarter=1, staff=window_staff, matter="社保转移")
    report = RoleSwapReport.objects.create(plan=plan, done_on=date(2026, 2, 3), what_was_done=TEXT, minutes_taken=30)
    finding = RoleSwapFinding.objects.create(
        report=report, category="efficiency", title="电话13912345678没人接", description=TEXT
    )
    assert _raw(RoleSwapReport, "what_was_done", report.pk) == MASKED
    assert _raw(RoleSwapFinding, "description", finding.pk) == MASKED
    assert "13912345678" not in _raw(RoleSwapFinding, "title", finding.pk)
