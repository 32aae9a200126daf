from __future__ import annotations

import pytest

from tests.factories.rectification import MeasureFactory, ProblemFactory


@pytest.fixture
def responsible(window_staff):
    """The responsible person (责任人) of the problem below."""
    return window_staff


@pytest.fixture
def problem(centre, leader, responsible):
    problem = ProblemFactory(centre=centre, responsible_leader=leader, responsible_person=responsible)
    MeasureFactory(problem=problem, owner=responsible)
    return problem
