"""The ledger's Excel export, made in the background (govservice/exports) in its round-trip layout: a title
row, the customary headers, one row per problem in the user's scope with the page's filters; recorded with
who asked and when. (An exported file imported unchanged finds 0 changes: test_ledger_roundtrip.py.)"""

from __future__ import annotations

import io

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from govservice.exceptions import NotFound
from govservice.exports import export_request
from govservice.models import ExportJob
from rectification import exports as ledger_exports
from rectification.documents import LEDGER_COLUMNS
from rectification.models import Problem
from staff.models import Role
from tests.exporting import export_through_screens
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_problem(other_centre):
    person = UserFactory(centre=other_centre, username="gx-staff", name="王强", roles=[Role.WINDOW_STAFF])
    boss = UserFactory(centre=other_centre, username="gx-boss", name="郑涛", roles=[Role.LEADER])
    problem = ProblemFactory(
        centre=other_centre, code="GX-01", title="高新区的问题", responsible_person=person, responsible_leader=boss
    )
    MeasureFactory(problem=problem, owner=person)
    return problem


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    def ask(**kwargs) -> tuple[ExportJob, list[tuple]]:
        with django_capture_on_commit_callbacks(execute=True):
            job = export_request(**kwargs)
        job.refresh_from_db()
        assert job.status == ExportJob.Status.DONE, job.error
        with job.file.open("rb") as handle:
            sheet = load_workbook(io.BytesIO(handle.read())).active
        return job, sheet

    return ask


def codes(sheet) -> list[str]:
    return [row[-1] for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_task_writes_the_round_trip_layout_for_the_leaders_own_centre(
    leader, problem, foreign_problem, centre, export
):
    job, sheet = export(user=leader, kind="ledger", params={})
    assert sheet.title == "整改台账"
    assert sheet["A1"].value == "市政务服务中心窗口作风建设问题整改台账" and sheet["A1"].font.b
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:J1"]
    assert [c.value for c in sheet[2]] == list(LEDGER_COLUMNS)
    assert sheet.freeze_panes == "A3" and sheet.page_setup.orientation == "landscape"
    assert codes(sheet) == [problem.code]  # the other centre's problem is not in a centre leader's ledger
    row = next(sheet.iter_rows(min_row=3, values_only=True))
    assert row[0] == 1 and problem.title in row[2] and row[3].startswith("1. ")
    assert job.rows_total == job.rows_done == 1


def test_the_job_records_who_exported_the_ledger_and_when(leader, problem, export):
    job, _sheet = export(user=leader, kind="ledger", params={"status": "open"})
    assert job.requested_by == leader and job.created_at and job.finished_at
    assert job.params == {"status": "open"} and not job.revealed


def test_a_city_leader_exports_every_centre_or_the_one_filtered(city_leader, problem, foreign_problem, export):
    _job, everything = export(user=city_leader, kind="ledger", params={})
    assert sorted(codes(everything)) == sorted([problem.code, foreign_problem.code])
    assert everything["A1"].value == "全市窗口作风建设问题整改台账"
    job, filtered = export(user=city_leader, kind="ledger", params={"centre": "gxq"})
    assert codes(filtered) == ["GX-01"] and filtered["A1"].value == "高新区政务服务中心窗口作风建设问题整改台账"
    assert job.title == "整改台账 · 高新区政务服务中心"


def test_the_pages_filters_narrow_the_rows(leader, problem, centre, responsible, responsible_leader, export):
    closed = ProblemFactory(
        centre=centre,
        code="JL-09",
        status=Problem.Status.CLOSED,
        responsible_person=responsible,
        responsible_leader=responsible_leader,
    )
    _job, sheet = export(user=leader, kind="ledger", params={"status": "closed"})
    assert codes(sheet) == [closed.code]


def test_rows_stream_in_chunks_numbered_in_the_lists_order_with_every_measure(
    leader, centre, responsible, responsible_leader, monkeypatch, export
):
    monkeypatch.setattr(ledger_exports, "CHUNK", 2)  # 5 problems: three chunks, each with its own prefetch
    made = []
    for i in range(5):
        p = ProblemFactory(
            centre=centre, code=f"TD-{i + 10}", responsible_person=responsible, responsible_leader=responsible_leader
        )
        MeasureFactory(problem=p, owner=responsible, description=f"措施{i}甲")
        MeasureFactory(problem=p, owner=responsible, description=f"措施{i}乙")
        made.append(p.code)
    _job, sheet = export(user=leader, kind="ledger", params={})
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert sorted(r[-1] for r in rows) == sorted(made)
    for row in rows:
        number = int(row[-1].split("-")[1]) - 10
        assert f"措施{number}甲" in row[3] and f"措施{number}乙" in row[3]


def test_window_staff_cannot_export_the_ledger(window_staff, problem):
    with pytest.raises(NotFound):
        export_request(user=window_staff, kind="ledger", params={})


def test_the_ledger_page_asks_for_a_background_export_and_the_old_link_is_gone(as_user, leader, problem):
    client = as_user(leader)
    page = client.get(reverse("rectification:ledger"), {"status": "open"}).content.decode()
    assert 'name="kind" value="ledger"' in page and 'name="status" value="open"' in page
    assert "export.xlsx" not in page
    with pytest.raises(NoReverseMatch):
        reverse("rectification:ledger-export")
    assert client.get("/ledger/export.xlsx").status_code == 404
    content = export_through_screens(client, "ledger", {"status": "open"})
    assert codes(load_workbook(io.BytesIO(content)).active) == [problem.code]
