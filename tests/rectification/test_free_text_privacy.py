"""Ledger texts built from citizens' words keep no phone or ID number in clear."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories.complaints import problem_for

pytestmark = pytest.mark.django_db


def test_a_problem_description_is_stored_masked(centre, leader):
    problem = problem_for(centre, leader)
    problem.description = "群众13912345678反映窗口推诿"
    problem.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM rectification_problem WHERE id = %s", [problem.id])
        assert cursor.fetchone()[0] == "群众139****5678反映窗口推诿"
