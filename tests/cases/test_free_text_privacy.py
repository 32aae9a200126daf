"""A number typed into a case's name or notes is stored masked (govservice.sealed)."""

from __future__ import annotations

import pytest
from django.db import connection

from cases import services
from cases.models import Case

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


def test_a_number_in_the_applicant_name_and_a_note_is_stored_masked(window_staff, log_case):
    case = log_case(window_staff, applicant_name="王小明13912345678")
    assert _raw("cases_case", "applicant_name", case.id) == "王小明139****5678"
    services.case_transition(
        case_id=case.id, to=Case.Status.ACCEPTED, actor=window_staff, note="身份证110101199003077774已核"
    )
    notes = [_raw("cases_caseevent", "note", event.id) for event in case.events.all()]
    assert "身份证110101********7774已核" in notes
    assert not any("110101199003077774" in note for note in notes)
