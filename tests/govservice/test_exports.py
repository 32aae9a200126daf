"""Exports in the background: asked for, made by a task with progress, downloaded by the asker with a token,
masked unless a permitted reveal was asked (recorded), deleted after the keep period by beat."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from govservice.exceptions import NotFound, NotPermitted
from govservice.exports import export_download, export_request, export_run, exports_purge, kinds_for
from govservice.exports import services as export_services
from govservice.models import ExportJob
from tests.factories.notifications import SmsMessageFactory

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def outbox(centre):
    messages = [SmsMessageFactory(centre=centre, phone=PHONE, status="failed") for _ in range(3)]
    SmsMessageFactory(centre=centre, status="sent")
    return messages


@pytest.fixture
def export(django_capture_on_commit_callbacks):
    """export_request, with the task run after the commit (eagerly, as the worker would)."""

    def ask(**kwargs) -> ExportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = export_request(**kwargs)
        job.refresh_from_db()
        return job

    return ask


def workbook_rows(job: ExportJob) -> list[tuple]:
    with job.file.open("rb") as handle:
        sheet = load_workbook(BytesIO(handle.read()), read_only=True).active
        return list(sheet.iter_rows(values_only=True))


def test_an_export_is_made_by_the_task_with_the_pages_filters(centre_admin, outbox, export):
    job = export(user=centre_admin, kind="sms_outbox", params={"status": "failed"})
    assert job.status == ExportJob.Status.DONE  # the eager task ran after the commit
    rows = workbook_rows(job)
    assert len(rows) == 1 + 3  # the headers, then the three failed ones only
    assert job.rows_done == job.rows_total == 3
    assert "发送失败" in job.title


def test_personal_data_is_masked_unless_a_permitted_reveal_was_asked(centre_admin, outbox, export):
    masked = workbook_rows(export(user=centre_admin, kind="sms_outbox", params={}))
    assert all(PHONE not in str(row) for row in masked)
    assert any("139****5678" in str(row) for row in masked)
    revealed = export(user=centre_admin, kind="sms_outbox", params={}, reveal=True)
    assert revealed.revealed
    assert any(PHONE in str(row) for row in workbook_rows(revealed))


def test_a_reveal_by_someone_not_allowed_is_refused_and_nothing_is_recorded(leader, outbox):
    with pytest.raises(NotPermitted):
        export_request(user=leader, kind="sms_outbox", params={}, reveal=True)
    assert not ExportJob.objects.exists()


def test_staff_who_cannot_see_the_outbox_cannot_export_it(window_staff, outbox):
    assert not kinds_for(window_staff)
    with pytest.raises(NotFound):
        export_request(user=window_staff, kind="sms_outbox", params={})


def test_only_the_asker_downloads_with_the_token_before_it_expires(centre_admin, leader, outbox, export):
    job = export(user=centre_admin, kind="sms_outbox", params={})
    assert export_download(user=centre_admin, job_id=job.id, token=job.token).id == job.id
    assert ExportJob.objects.get(id=job.id).downloaded_at is not None
    with pytest.raises(NotFound):
        export_download(user=centre_admin, job_id=job.id, token="guess")
    with pytest.raises(NotFound):
        export_download(user=leader, job_id=job.id, token=job.token)
    ExportJob.objects.filter(id=job.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(NotFound):
        export_download(user=centre_admin, job_id=job.id, token=job.token)


def test_beat_deletes_expired_files_and_keeps_the_record(centre_admin, outbox, export):
    job = export(user=centre_admin, kind="sms_outbox", params={})
    path = job.file.path
    assert exports_purge(now=timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS, seconds=1)) == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert not Path(path).exists()
    assert ExportJob.objects.filter(id=job.id, requested_by=centre_admin).exists()


def test_progress_is_written_while_rows_stream(centre_admin, centre, monkeypatch, export):
    SmsMessageFactory.create_batch(7, centre=centre)
    seen: list[int] = []
    original = export_services._progress
    monkeypatch.setattr(export_services, "PROGRESS_EVERY", 2)

    def record(job_id: int, done: int) -> None:
        seen.append(done)
        original(job_id, done)

    monkeypatch.setattr(export_services, "_progress", record)
    job = export(user=centre_admin, kind="sms_outbox", params={})
    assert seen == [2, 4, 6]
    assert job.rows_done == 7


def test_a_failing_export_says_so_and_keeps_no_file(centre_admin, outbox, monkeypatch, export):
    from govservice.exports import registry

    spec = registry.get("sms_outbox")

    def broken(user, params, reveal):
        raise RuntimeError("database gone 13912345678")

    monkeypatch.setitem(registry._KINDS, "sms_outbox", spec.__class__(**{**spec.__dict__, "rows": broken}))
    job = export(user=centre_admin, kind="sms_outbox", params={})
    assert job.status == ExportJob.Status.FAILED
    assert PHONE not in job.error and not job.file


def test_a_repeated_task_message_does_not_make_it_twice(centre_admin, outbox, export):
    job = export(user=centre_admin, kind="sms_outbox", params={})
    name = job.file.name
    assert export_run(job.id).file.name == name


def test_the_screens_ask_show_progress_and_download(as_user, centre_admin, outbox, django_capture_on_commit_callbacks):
    browser = as_user(centre_admin)
    page = browser.get(reverse("notifications:sms-list"), {"status": "failed"}).content.decode()
    assert 'data-testid="export-form"' in page and 'name="status" value="failed"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(reverse("export-new"), {"kind": "sms_outbox", "status": "failed"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("export-detail", args=[job.id])
    detail = browser.get(response["Location"]).content.decode()
    assert 'data-testid="export-download"' in detail
    download = browser.get(reverse("export-file", args=[job.id]), {"t": job.token})
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"PK")
    assert job.title in browser.get(reverse("exports")).content.decode()


def test_an_export_in_progress_polls_itself(as_user, centre_admin):
    job = ExportJob.objects.create(
        kind="sms_outbox",
        title="x",
        requested_by=centre_admin,
        token="t",
        expires_at=timezone.now() + timedelta(days=1),
    )
    page = as_user(centre_admin).get(reverse("export-detail", args=[job.id])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page


def test_someone_elses_export_page_is_404(as_user, centre_admin, leader, outbox, export):
    job = export(user=centre_admin, kind="sms_outbox", params={})
    assert as_user(leader).get(reverse("export-detail", args=[job.id])).status_code == 404


def test_the_complaint_list_exports_with_its_filters_and_masked_phones(leader, window_staff, export):
    from tests.factories import development as make

    now = timezone.now()
    make.complaint(window_staff, now, category="attitude", contact_phone=PHONE)
    make.complaint(window_staff, now, category="ability", contact_phone=PHONE)
    job = export(user=leader, kind="complaints", params={"category": "attitude"})
    rows = workbook_rows(job)
    assert len(rows) == 2
    assert "139****5678" in rows[1] and PHONE not in str(rows)
    revealed = workbook_rows(export(user=leader, kind="complaints", params={}, reveal=True))
    assert sum(PHONE in row for row in revealed) == 2


def test_the_evaluation_list_exports_and_staff_cannot_reveal(leader, window_staff, centre_admin, export):
    from tests.factories import development as make

    make.evaluation(window_staff, 1, timezone.now(), evaluator_phone=PHONE)
    rows = workbook_rows(export(user=leader, kind="evaluations", params={}))
    assert len(rows) == 2 and "139****5678" in rows[1]
    with pytest.raises(NotPermitted):
        export_request(user=centre_admin, kind="evaluations", params={}, reveal=True)
