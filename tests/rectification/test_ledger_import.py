"""The ledger import runs as a task: the web request stores and queues the file, never parses it."""

from __future__ import annotations

import stat
from pathlib import Path
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile

from rectification.documents import LEDGER_COLUMNS
from rectification.models import LedgerImport, Problem
from tests.conftest import login
from tests.factories.spreadsheets import xlsx, xlsx_with_blank_rows

pytestmark = pytest.mark.django_db


def ledger_rows(person_name: str) -> list[list[object]]:
    return [
        ["整改台账"],
        list(LEDGER_COLUMNS),
        [
            1,
            "业务能力",
            "一业一证不熟\n部分人员不掌握新政策",
            "1. 专题培训\n2. 上线知识库",
            "",
            person_name,
            "2025-04-30",
        ],
    ]


def post(client, content: bytes, name: str = "ledger.xlsx"):
    return client.post("/ledger/import/", {"file": SimpleUploadedFile(name, content)})


def test_the_upload_view_queues_a_task_and_never_parses_the_file(
    client, leader, responsible, django_capture_on_commit_callbacks
):
    """Two parallel uploads of one 1.1 MB file once took the site down: the request parsed the whole sheet."""
    login(client, leader)
    with (
        mock.patch("rectification.tasks.ledger_import_run.delay") as delay,
        mock.patch("rectification.services.imports.read_sheet") as parser,
        mock.patch("openpyxl.load_workbook") as openpyxl_reader,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(client, xlsx(ledger_rows(responsible.name)))
    batch = LedgerImport.objects.get()
    delay.assert_called_once_with(batch.pk)
    parser.assert_not_called()
    openpyxl_reader.assert_not_called()
    assert response.status_code == 302 and response.url == f"/ledger/import/{batch.pk}/"
    assert batch.status == LedgerImport.Status.QUEUED and batch.uploaded_by == leader
    assert not Problem.objects.exists()
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "排队中" in page  # the page polls until the task is done


def test_the_task_previews_the_rows_deletes_the_file_and_imports_only_when_confirmed(
    client, leader, responsible, django_capture_on_commit_callbacks
):
    login(client, leader)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, xlsx(ledger_rows(responsible.name)))
    batch = LedgerImport.objects.get()
    path = Path(batch.file.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert (batch.status, batch.total_rows) == (LedgerImport.Status.PREVIEW, 1)
    assert not batch.file and not path.exists()
    assert not Problem.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ledger/import/{batch.pk}/apply/")
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == (LedgerImport.Status.DONE, 1)
    assert list(Problem.objects.get().measures.values_list("description", flat=True)) == ["专题培训", "上线知识库"]
    htmx = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in htmx and "<html" not in htmx and "新增 1 个问题" in htmx


def test_a_flood_of_blank_rows_is_refused_by_the_cap(
    client, leader, responsible, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_ROWS = 50
    login(client, leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, xlsx_with_blank_rows(ledger_rows(responsible.name), blank=200))
    batch = LedgerImport.objects.get()
    assert batch.status == LedgerImport.Status.FAILED and not batch.file
    assert "行数超过上限 50" in client.get(response.url).content.decode()
    assert not Problem.objects.exists()


def test_an_import_over_its_time_limit_fails_with_a_message_and_deletes_the_file(
    client, leader, responsible, django_capture_on_commit_callbacks
):
    login(client, leader)
    with (
        mock.patch("rectification.services.imports.plan_rows", side_effect=SoftTimeLimitExceeded()),
        django_capture_on_commit_callbacks(execute=True),
    ):
        post(client, xlsx(ledger_rows(responsible.name)))
    batch = LedgerImport.objects.get()
    assert batch.status == LedgerImport.Status.FAILED and not batch.file
    assert "处理超时" in batch.errors[0]["message"]


def test_a_file_that_is_not_xlsx_is_refused_next_to_the_field(client, leader):
    login(client, leader)
    response = post(client, b"a,b\n", name="ledger.csv")
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    assert not LedgerImport.objects.exists()


def test_another_centres_import_is_404_and_window_staff_cannot_upload(client, leader, other_leader, window_staff):
    batch = LedgerImport.objects.create(centre=leader.centre, uploaded_by=leader, file_name="l.xlsx")
    assert login(client, other_leader).get(f"/ledger/import/{batch.pk}/").status_code == 404
    assert login(client, window_staff).get("/ledger/import/").status_code == 404


def test_the_purge_fails_an_import_whose_task_was_killed_or_whose_message_was_lost(leader, settings):
    import time_machine
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from rectification.tasks import ledger_import_files_purge

    batch = LedgerImport.objects.create(
        centre=leader.centre, uploaded_by=leader, file_name="l.xlsx", status=LedgerImport.Status.RUNNING
    )
    batch.file.save("l.xlsx", ContentFile(b"x"))
    path = Path(batch.file.path)
    queued = LedgerImport.objects.create(centre=leader.centre, uploaded_by=leader, file_name="q.xlsx")
    queued.file.save("q.xlsx", ContentFile(b"x"))
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 600)):
        ledger_import_files_purge()
    batch.refresh_from_db()
    assert batch.status == LedgerImport.Status.FAILED and not batch.file and not path.exists()
    assert LedgerImport.objects.get(pk=queued.pk).status == LedgerImport.Status.QUEUED  # waiting is not lost yet
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=settings.IMPORT_FILE_KEEP_HOURS + 1)):
        ledger_import_files_purge()
    queued.refresh_from_db()
    assert queued.status == LedgerImport.Status.FAILED and not queued.file
    assert "等待处理超时" in queued.errors[0]["message"]
