"""Windows and departments chosen among several centres name their centre."""

from __future__ import annotations

import pytest

from complaints.filters import EvaluationFilter
from complaints.models import Evaluation
from govservice.models import Department
from knowledge.forms import QuestionForm
from tests.factories.staff import DepartmentFactory, WindowFactory


def _labels(field) -> set[str]:
    return {label for value, label in field.choices if str(value) not in ("", "none")}


@pytest.mark.django_db
def test_a_city_wide_user_picks_windows_labelled_with_their_centre(rf, centre, other_centre, city_leader):
    WindowFactory.create(centre=centre, code="A01", name="综合受理窗口")
    WindowFactory.create(centre=other_centre, code="A01", name="综合受理窗口")
    request = rf.get("/")
    request.user = city_leader
    form = EvaluationFilter(data={}, queryset=Evaluation.objects.none(), request=request).form
    assert _labels(form.fields["window"]) == {
        f"A01 综合受理窗口（{centre.name}）",
        f"A01 综合受理窗口（{other_centre.name}）",
    }


@pytest.mark.django_db
def test_the_question_form_names_each_departments_centre(centre, other_centre):
    DepartmentFactory.create(centre=centre, name="税务局")
    DepartmentFactory.create(centre=other_centre, name="税务局")
    form = QuestionForm(departments=Department.objects.select_related("centre"))
    assert _labels(form.fields["department"]) == {f"税务局（{centre.name}）", f"税务局（{other_centre.name}）"}
