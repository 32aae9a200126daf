"""The ledger's Excel round trip: export, import unchanged (0 changes), edit cells, preview, confirm, apply."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from rectification.models import LedgerImport, Measure, Problem, ProblemEvent, ProgressUpdate
from rectification.services import problem_update
from staff.models import Role
from tests.conftest import login
from tests.exporting import export_through_screens
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db
S = Problem.Status


@pytest.fixture
def ledger(centre, problem, responsible, responsible_leader):
    """Three problems: one in rectification with two measures and a progress note, one still open with no
    measures yet, one closed."""
    Problem.objects.filter(id=problem.id).update(status=S.IN_RECTIFICATION, title="解释政策不耐心")
    MeasureFactory(problem=problem, description="服务之星评分纳入群众评价", deadline=date.today() + timedelta(days=60))
    first = problem.measures.order_by("deadline", "id").first()
    ProgressUpdate.objects.create(measure=first, author=responsible, text="已组织礼仪培训", percentage=40)
    Measure.objects.filter(id=first.id).update(progress=40)
    open_problem = ProblemFactory(
        centre=centre,
        code="NL-01",
        category="ability",
        title="一业一证不熟",
        responsible_person=responsible,
        responsible_leader=responsible_leader,
    )
    closed = ProblemFactory(
        centre=centre,
        code="JL-01",
        category="discipline",
        title="上班时间玩手机",
        status=S.CLOSED,
        responsible_person=responsible,
        responsible_leader=responsible_leader,
    )
    MeasureFactory(problem=closed, progress=100)
    return {"problem": Problem.objects.get(id=problem.id), "open": open_problem, "closed": closed}


def export(client, **extra) -> bytes:
    """The ledger's background export, asked for on the screens (the file the ledger page's button gives)."""
    return export_through_screens(client, "ledger", **extra)


def upload(client, content: bytes, capture) -> LedgerImport:
    with capture(execute=True):
        response = client.post("/ledger/import/", {"file": SimpleUploadedFile("ledger.xlsx", content)})
    assert response.status_code == 302
    return LedgerImport.objects.latest("created_at")


def edit(content: bytes, code: str, cells: dict[str, object]) -> bytes:
    """The workbook with some cells of the row of problem `code` changed (by header)."""
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    headers = [c.value for c in sheet[2]]
    for row in sheet.iter_rows(min_row=3):
        if row[headers.index("问题编号")].value == code:
            for header, value in cells.items():
                row[headers.index(header)].value = value
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def snapshot() -> tuple:
    return (
        list(Problem.objects.order_by("id").values_list("code", "title", "status", "responsible_person_id")),
        list(Measure.objects.order_by("id").values_list("description", "deadline", "progress", "owner_id")),
        ProblemEvent.objects.count(),
        ProgressUpdate.objects.count(),
    )


def test_importing_the_ledgers_own_export_changes_nothing_and_says_so(
    client, leader, ledger, django_capture_on_commit_callbacks
):
    login(client, leader)
    before = snapshot()
    batch = upload(client, export(client), django_capture_on_commit_callbacks)
    assert (batch.status, batch.change_count, batch.plan, batch.errors) == (LedgerImport.Status.DONE, 0, [], [])
    assert snapshot() == before
    page = client.get(f"/ledger/import/{batch.pk}/").content.decode()
    assert "0 处变更" in page and 'data-testid="ledger-import-apply"' not in page


def test_three_edited_cells_are_previewed_then_applied_only_when_confirmed(
    client, leader, ledger, centre, responsible, django_capture_on_commit_callbacks
):
    problem = ledger["problem"]
    other = UserFactory(centre=centre, name="王芳", roles=[Role.WINDOW_STAFF])
    login(client, leader)
    content = export(client)
    workbook = load_workbook(io.BytesIO(content))
    headers = [c.value for c in workbook.active[2]]
    row_number = next(
        r[0].row for r in workbook.active.iter_rows(min_row=3) if r[headers.index("问题编号")].value == problem.code
    )
    first, second = problem.measures.order_by("deadline", "id")
    edited = edit(
        content,
        problem.code,
        {
            "整改措施": f"1. {first.description}（每月一次）\n2. {second.description}",
            "责任人": "王芳",
            "整改进展": "总体进度 20%\n1. 60% 已完成第二轮培训\n2. 0%",
        },
    )
    before = snapshot()
    batch = upload(client, edited, django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.PREVIEW and batch.change_count == 3
    changes = [(entry["row"], c["column"], c["old"], c["new"]) for entry in batch.plan for c in entry["changes"]]
    assert changes == [
        (
            row_number,
            "整改措施",
            f"1. {first.description}\n2. {second.description}",
            f"1. {first.description}（每月一次）\n2. {second.description}",
        ),
        (row_number, "责任人", responsible.name, "王芳"),
        (row_number, "整改进展", "1. 40% 已组织礼仪培训", "1. 60% 已完成第二轮培训"),
    ]
    assert snapshot() == before  # nothing applied before the confirmation
    page = client.get(f"/ledger/import/{batch.pk}/").content.decode()
    assert page.count('data-testid="import-change"') == 3 and 'data-testid="ledger-import-apply"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/ledger/import/{batch.pk}/apply/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.updated_count, batch.created_count) == (LedgerImport.Status.DONE, 1, 0)
    problem.refresh_from_db()
    first.refresh_from_db()
    assert first.description.endswith("（每月一次）") and first.progress == 60
    assert problem.responsible_person == other
    assert first.updates.first().text == "已完成第二轮培训"
    assert problem.events.filter(actor=leader).count() >= 3

    # Exported again and imported: nothing left to change; a second confirmation does nothing.
    again = upload(client, export(client), django_capture_on_commit_callbacks)
    assert (again.status, again.change_count) == (LedgerImport.Status.DONE, 0)
    response = client.post(f"/ledger/import/{batch.pk}/apply/", follow=True)
    assert "已不在待确认状态" in response.content.decode()


def test_a_bad_row_applies_nothing_and_names_its_row_and_column(
    client, leader, ledger, django_capture_on_commit_callbacks
):
    login(client, leader)
    content = export(client)
    content = edit(content, ledger["problem"].code, {"问题表现": "解释政策不耐心\n改过的描述"})
    content = edit(content, "NL-01", {"问题类别": "没有这个类别", "整改时限": "明天"})
    before = snapshot()
    batch = upload(client, content, django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.REJECTED and batch.plan == []
    assert {(e["column"], e["row"] > 2) for e in batch.errors} == {("问题类别", True), ("整改时限", True)}
    assert snapshot() == before
    page = client.get(f"/ledger/import/{batch.pk}/").content.decode()
    assert "问题类别" in page and "第 " in page and "未导入任何数据" in page


def test_errors_are_written_in_the_uploaders_language(client, leader, ledger, django_capture_on_commit_callbacks):
    login(client, leader)
    content = edit(export(client), "NL-01", {"问题类别": "没有这个类别"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ledger/import/", {"file": SimpleUploadedFile("l.xlsx", content)}, HTTP_ACCEPT_LANGUAGE="en")
    batch = LedgerImport.objects.get()
    assert batch.language == "en"
    assert "not valid" in batch.errors[0]["message"]


def test_a_status_decision_cannot_be_made_by_spreadsheet(client, leader, ledger, django_capture_on_commit_callbacks):
    login(client, leader)
    content = edit(export(client), ledger["problem"].code, {"完成情况/销号情况": "已销号"})
    batch = upload(client, content, django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.REJECTED
    assert batch.errors[0]["column"] == "完成情况/销号情况" and "问题页面" in batch.errors[0]["message"]


def test_starting_work_by_spreadsheet_goes_through_the_transition(
    client, leader, ledger, django_capture_on_commit_callbacks
):
    login(client, leader)
    content = edit(
        export(client), "NL-01", {"整改措施": "1. 专题培训", "整改时限": "2026-12-31", "完成情况/销号情况": "整改中"}
    )
    batch = upload(client, content, django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.PREVIEW, batch.errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ledger/import/{batch.pk}/apply/")
    problem = Problem.objects.get(code="NL-01")
    assert problem.status == S.IN_RECTIFICATION
    assert list(problem.measures.values_list("description", "deadline")) == [("专题培训", date(2026, 12, 31))]
    assert problem.events.filter(kind=ProblemEvent.Kind.TRANSITION, new_status=S.IN_RECTIFICATION).exists()


def test_new_rows_get_a_fresh_number_and_old_exports_with_the_number_in_the_title_still_match(
    client, leader, ledger, responsible, django_capture_on_commit_callbacks
):
    login(client, leader)
    problem = ledger["problem"]
    workbook = load_workbook(io.BytesIO(export(client)))
    sheet = workbook.active
    headers = [c.value for c in sheet[2]]
    for row in sheet.iter_rows(min_row=3):
        if row[headers.index("问题编号")].value == problem.code:  # as older exports wrote it
            row[headers.index("问题表现")].value = f"{problem.code} {problem.title}\n{problem.description}"
    sheet.append([9, "服务态度", "窗口无人值守\n午间窗口无人", "", "", responsible.name, None, "", "待整改", "TD-99"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload(client, buffer.getvalue(), django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.PREVIEW, batch.errors
    assert [(entry["problem_id"], entry["code"]) for entry in batch.plan] == [(None, "")]  # only the new row
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ledger/import/{batch.pk}/apply/")
    created = Problem.objects.get(title="窗口无人值守")
    assert created.code != "TD-99" and created.code.startswith("TD-") and created.status == S.OPEN
    assert not created.measures.exists()  # no measures yet: accepted for a problem still 待整改
    assert Problem.objects.filter(title__startswith="TD-").count() == 0


def test_english_headers_and_labels_round_trip_too(client, leader, ledger, django_capture_on_commit_callbacks):
    login(client, leader)
    content = export(client, HTTP_ACCEPT_LANGUAGE="en")
    headers = [c.value for c in load_workbook(io.BytesIO(content)).active[2]]
    assert "问题编号" not in headers
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ledger/import/", {"file": SimpleUploadedFile("l.xlsx", content)}, HTTP_ACCEPT_LANGUAGE="en")
    batch = LedgerImport.objects.get()
    assert (batch.status, batch.change_count) == (LedgerImport.Status.DONE, 0), batch.errors


def test_a_problem_changed_after_the_preview_is_not_overwritten(
    client, leader, ledger, django_capture_on_commit_callbacks
):
    login(client, leader)
    problem = ledger["problem"]
    content = edit(export(client), problem.code, {"问题表现": "解释政策不耐心\n新的描述"})
    batch = upload(client, content, django_capture_on_commit_callbacks)
    assert batch.status == LedgerImport.Status.PREVIEW
    problem_update(problem_id=problem.id, actor=leader, description="别人刚改过")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ledger/import/{batch.pk}/apply/")
    batch.refresh_from_db()
    problem.refresh_from_db()
    assert batch.status == LedgerImport.Status.REJECTED and "预览之后已被修改" in batch.errors[0]["message"]
    assert problem.description == "别人刚改过"


def test_only_the_uploader_confirms(client, leader, ledger, centre, django_capture_on_commit_callbacks):
    login(client, leader)
    content = edit(export(client), ledger["problem"].code, {"问题表现": "解释政策不耐心\n新的描述"})
    batch = upload(client, content, django_capture_on_commit_callbacks)
    someone = UserFactory(centre=centre, roles=[Role.LEADER])
    response = login(client, someone).post(f"/ledger/import/{batch.pk}/apply/", follow=True)
    batch.refresh_from_db()
    assert batch.status == LedgerImport.Status.PREVIEW and "只有上传人" in response.content.decode()
