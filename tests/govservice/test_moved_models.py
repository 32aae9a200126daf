"""Models that moved from staff into the core keep their tables and their old admin addresses."""

from __future__ import annotations

import pytest

from govservice.models import Centre, Department, WorkCalendarDay, WorkCalendarYear


@pytest.mark.parametrize(
    ("model", "table"),
    [
        (Centre, "staff_centre"),
        (Department, "staff_department"),
        (WorkCalendarDay, "staff_workcalendarday"),
        (WorkCalendarYear, "staff_workcalendaryear"),
    ],
)
def test_moved_models_belong_to_the_core_but_keep_their_tables(model, table):
    assert model._meta.app_label == "govservice"
    assert model._meta.db_table == table


@pytest.mark.parametrize("model", ["centre", "department", "workcalendarday", "workcalendaryear"])
def test_old_admin_addresses_redirect_permanently_to_the_core(client, model):
    response = client.get(f"/admin/staff/{model}/7/change/?_changelist_filters=q%3Dx")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/govservice/{model}/7/change/?_changelist_filters=q%3Dx"


def test_department_keeps_its_constraint_name():
    names = [constraint.name for constraint in Department._meta.constraints]
    assert names == ["department_code_unique_per_centre"]
