from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from cases.models import MatterType
from govservice.exceptions import NotPermitted
from knowledge.importer import question_bank_import, read_rows
from knowledge.models import ImportBatch, Question, QuestionVersion

pytestmark = pytest.mark.django_db

HEADER = [
    "问题",
    "相似问法",
    "答复",
    "部门",
    "政策文件",
    "条款",
    "文件日期",
    "标签",
    "关联事项编码",
    "生效日期",
    "失效日期",
]


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def matter(centre, department):
    return MatterType.objects.create(
        centre=centre, department=department, code="SC-001", name="企业设立登记", promised_days=3, correction_days=3
    )


GOOD = [
    [
        "企业设立登记需要什么材料",
        "开公司要带什么；注册公司材料",
        "申请书、章程、身份证明。",
        "scjg",
        "市场主体登记管理条例",
        "第十六条",
        date(2021, 7, 27),
        "企业开办",
        "SC-001",
        None,
        None,
    ],
    [
        "个体工商户怎么注销",
        "",
        "通过一网通办申请简易注销。",
        "市场监管局",
        "",
        "",
        None,
        "注销",
        "",
        "2024-01-01",
        "2030-12-31",
    ],
]


def test_a_clean_sheet_is_imported_with_variants_tags_and_matter_types(centre, admin, department, matter):
    missing, rows = read_rows(io.BytesIO(workbook(GOOD)))
    result = question_bank_import(centre=centre, actor=admin, rows=rows, publish=True)

    assert missing == [] and result.ok and result.created == 2
    first = Question.objects.get(question="企业设立登记需要什么材料")
    assert first.status == Question.Status.PUBLISHED
    assert sorted(first.variants.values_list("text", flat=True)) == ["开公司要带什么", "注册公司材料"]
    assert list(first.matter_types.all()) == [matter]
    assert first.policy_date == date(2021, 7, 27)
    assert first.department == department
    assert QuestionVersion.objects.filter(question=first, author=admin).count() == 1
    second = Question.objects.get(question="个体工商户怎么注销")
    assert second.valid_until == date(2030, 12, 31)


def test_a_sheet_with_bad_rows_imports_nothing_and_names_every_bad_row(centre, admin, department, matter):
    rows = [
        *GOOD,
        ["", "", "没有问题的答复", "", "", "", None, "", "", None, None],
        ["社保卡丢了怎么办", "", "", "", "", "", None, "", "", None, None],
        ["公积金怎么提取", "", "答复", "不存在的部门", "", "", None, "", "XX-999", "明天", None],
        ["企业设立登记需要什么材料", "", "重复", "", "", "", None, "", "", None, None],
        ["过期", "", "答复", "", "", "", None, "", "", "2025-01-01", "2024-01-01"],
    ]
    _, parsed = read_rows(io.BytesIO(workbook(rows)))

    result = question_bank_import(centre=centre, actor=admin, rows=parsed)

    assert not result.ok and result.created == 0
    assert Question.objects.count() == 0
    by_row: dict[int, list[str]] = {}
    for error in result.errors:
        by_row.setdefault(error.row, []).append(error.message)
    assert sorted(by_row) == [4, 5, 6, 7, 8]
    assert any("缺少问题" in m for m in by_row[4])
    assert any("缺少答复" in m for m in by_row[5])
    assert len(by_row[6]) == 3  # department, matter code, date
    assert any("重复" in m for m in by_row[7])
    assert any("失效日期" in m for m in by_row[8])


def test_only_a_centre_admin_may_import(centre, dept_liaison):
    _, rows = read_rows(io.BytesIO(workbook(GOOD)))

    with pytest.raises(NotPermitted):
        question_bank_import(centre=centre, actor=dept_liaison, rows=rows)


def test_the_command_imports_with_a_progress_bar_and_refuses_bad_sheets(tmp_path, centre, admin, department, matter):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([*GOOD, ["", "", "只有答复", "", "", "", None, "", "", None, None]]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("knowledge_import", str(bad), centre=centre.code, user=admin.username, no_progress=True)
    assert Question.objects.count() == 0

    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(GOOD))
    out = io.StringIO()
    call_command("knowledge_import", str(good), centre=centre.code, user=admin.username, no_progress=True, stdout=out)
    assert "imported 2" in out.getvalue()
    assert Question.objects.filter(status=Question.Status.DRAFT).count() == 2


def test_the_import_screen_runs_the_batch_and_shows_the_result(
    centre, admin, department, matter, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin)
    upload = SimpleUploadedFile("bank.xlsx", workbook(GOOD))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("knowledge:import"), {"file": upload, "publish": "on"})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("knowledge:import-status", args=[batch.id])
    assert (batch.status, batch.created_count, batch.processed_rows, batch.percent) == ("done", 2, 2, 100)
    page = client.get(response.url).content.decode()
    assert "kb-import-status" in page and "hx-trigger" not in page


def test_the_import_screen_lists_bad_rows(
    centre, admin, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(admin)
    upload = SimpleUploadedFile("bank.xlsx", workbook([["问题一", "", "", "", "", "", None, "", "", None, None]]))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("knowledge:import"), {"file": upload})

    page = client.get(response.url).content.decode()
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED
    assert "缺少答复" in page and Question.objects.count() == 0


def test_window_staff_cannot_open_the_import(window_staff, as_user):
    assert as_user(window_staff).get(reverse("knowledge:import")).status_code == 404


def test_a_running_import_polls_for_progress(centre, admin, client):
    batch = ImportBatch.objects.create(
        centre=centre,
        uploaded_by=admin,
        file="x.xlsx",
        file_name="x.xlsx",
        status="validating",
        total_rows=80,
        processed_rows=20,
    )
    client.force_login(admin)

    page = client.get(
        reverse("knowledge:import-status", args=[batch.id]), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 1s"' in page
    assert 'value="25"' in page  # 20 of 80 rows
    assert "<html" not in page


def test_a_flood_of_blank_rows_is_refused_and_the_upload_deleted(
    centre, admin, client, settings, django_capture_on_commit_callbacks
):
    """The knowledge importer had no row cap at all; blank rows count too."""
    from pathlib import Path

    from tests.factories.spreadsheets import xlsx_with_blank_rows

    settings.IMPORT_MAX_ROWS = 50
    client.force_login(admin)
    content = xlsx_with_blank_rows([HEADER, GOOD[0]], blank=200)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("knowledge:import"), {"file": SimpleUploadedFile("bank.xlsx", content)})
    path = Path(ImportBatch.objects.get().file.path)
    assert path.exists()
    for callback in callbacks:
        callback()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert "行数超过上限 50" in batch.errors[0]["message"]
    assert not batch.file and not path.exists()
    assert Question.objects.count() == 0


def test_a_finished_import_leaves_no_file(
    centre, admin, department, matter, client, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("knowledge:import"), {"file": SimpleUploadedFile("bank.xlsx", workbook(GOOD))})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.DONE and not batch.file
