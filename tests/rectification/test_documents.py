"""Excel export/import in the customary layout, print view and PDF dossier."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from govservice.categories import ProblemCategory
from rectification import documents
from rectification.documents import LEDGER_COLUMNS
from rectification.models import Problem
from rectification.services import ledger_import, progress_update_add
from tests.conftest import login
from tests.exporting import export_through_screens
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_excel_export_has_the_customary_columns_and_values(client, centre, leader, responsible):
    department = DepartmentFactory(centre=centre, name="市场监管局")
    problem = ProblemFactory(
        centre=centre,
        code="TD-01",
        title="未主动引导",
        responsible_leader=leader,
        responsible_person=responsible,
        responsible_department=department,
    )
    measure = MeasureFactory(
        problem=problem, description="推行首问负责制", owner=responsible, deadline=date(2025, 3, 31)
    )
    progress_update_add(measure_id=measure.id, actor=responsible, text="已培训全员", percentage=50)
    ProblemFactory(centre=centre, category=ProblemCategory.DISCIPLINE, code="JL-01", responsible_leader=leader)
    login(client, leader)

    content = export_through_screens(client, "ledger", {"category": "attitude"})
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1] == LEDGER_COLUMNS
    assert len(rows) == 3  # title, header, one problem: the filter of the screen applies
    number, category, shown, measures, unit, person, deadline, progress, state, code = rows[2]
    assert (number, category, unit, person, code) == (1, "服务态度", "市场监管局", responsible.name, "TD-01")
    assert shown.startswith("未主动引导\n")  # the number has a column of its own (the import matches on it)
    assert measures == "1. 推行首问负责制"
    assert deadline.date() == date(2025, 3, 31)
    assert "50%" in progress and "已培训全员" in progress
    assert state == "整改中；1 项措施逾期"  # the deadline has passed


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["整改台账"])
    sheet.append(list(LEDGER_COLUMNS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_import_creates_problems_with_measures(centre, leader, responsible):
    DepartmentFactory(centre=centre, name="税务局")
    data = _workbook(
        [
            [
                1,
                "业务能力",
                "一业一证不熟\n部分人员不掌握新政策",
                "1. 专题培训\n2. 上线知识库",
                "税务局",
                responsible.name,
                "2025-04-30",
            ],
            [2, "流程效率", "复杂事项办理慢", "设立专班", "", responsible.name, date(2025, 5, 31)],
        ]
    )
    result = ledger_import(file=io.BytesIO(data), name="l.xlsx", centre=centre, actor=leader)
    assert result.errors == []
    assert result.created == ["NL-01", "XL-01"]
    first = Problem.objects.get(code="NL-01")
    assert first.title == "一业一证不熟"
    assert list(first.measures.values_list("description", flat=True)) == ["专题培训", "上线知识库"]


def test_import_with_bad_rows_imports_nothing_and_names_the_rows(client, centre, leader, responsible):
    data = _workbook(
        [
            [1, "业务能力", "好的一行", "培训", "", responsible.name, "2025-04-30"],
            [2, "不存在的类别", "", "", "无此部门", "查无此人", "明天"],
        ]
    )
    result = ledger_import(file=io.BytesIO(data), name="l.xlsx", centre=centre, actor=leader)
    assert not Problem.objects.exists()
    assert {e.row for e in result.errors} == {4}
    assert {"问题类别", "问题表现", "责任人", "整改时限"} <= {e.column for e in result.errors}


def test_the_import_page_shows_the_bad_rows_once_the_task_is_done(
    client, centre, leader, responsible, django_capture_on_commit_callbacks
):
    data = _workbook([[2, "不存在的类别", "", "", "无此部门", "查无此人", "明天"]])
    login(client, leader)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/ledger/import/", {"file": SimpleUploadedFile("l.xlsx", data)})
    page = client.get(response.url).content.decode()
    assert "第 3 行" in page and "问题类别" in page and 'hx-trigger="every' not in page  # done: no more polling
    assert not Problem.objects.exists()


def test_print_view_lists_the_filtered_ledger(client, problem, leader):
    login(client, leader)
    page = client.get("/ledger/print/").content.decode()
    assert problem.code in page and "完成情况/销号情况" in page


@pytest.mark.skipif(documents.cjk_font_path() is None, reason="no CJK font installed")
def test_pdf_dossier_renders_with_a_cjk_font(client, problem, leader):
    login(client, leader)
    response = client.get(f"/ledger/problems/{problem.id}/dossier.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    whole = client.get("/ledger/ledger.pdf")
    assert whole.content.startswith(b"%PDF")


def test_pdf_without_a_cjk_font_degrades_with_a_message(client, problem, leader, monkeypatch):
    monkeypatch.setattr(documents, "CJK_FONT_CANDIDATES", ())
    login(client, leader)
    response = client.get(f"/ledger/problems/{problem.id}/dossier.pdf", follow=True)
    assert "中文字体" in response.content.decode()
