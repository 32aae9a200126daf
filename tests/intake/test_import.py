"""Batch import of hotline exports and survey files: every row validated, errors by row and column."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from complaints.models import Complaint, Evaluation
from intake.models import ImportBatch
from tests.factories.complaints import ChannelFactory
from tests.factories.spreadsheets import xlsx_with_blank_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_urls")]

HOTLINE_HEADER = ["工单编号", "受理时间", "诉求类型", "诉求内容", "联系电话", "涉及窗口"]


def hotline_csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    lines = [",".join(HOTLINE_HEADER)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


GOOD = ["12345-001", "2026-03-02 09:30", "投诉", "窗口人员态度冷漠", "13900001234", "B01"]
GOOD2 = ["12345-002", "2026/03/03 10:00", "建议", "希望延长午间服务", "", ""]
BAD_PHONE = ["12345-003", "2026-03-03 11:00", "投诉", "排队太久", "12345", ""]
BAD_KIND = ["12345-004", "2026-03-03 11:00", "表扬", "很好", "", ""]
BAD_WINDOW = ["12345-005", "2026-03-03 11:00", "投诉", "x", "", "Z99"]


def survey_xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["记录编号", "评价时间", "评价等级", "评价内容", "窗口"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def importer(as_user, centre_admin):
    return as_user(centre_admin)


def upload(client, channel, content: bytes, name: str, kind: str = "hotline", valid_only: bool = False):
    return client.post(
        "/intake/imports/",
        {
            "kind": kind,
            "channel": channel.pk,
            "centre": channel.centres.first().pk,
            "file": SimpleUploadedFile(name, content),
            **({"valid_only": "on"} if valid_only else {}),
        },
    )


def test_a_clean_hotline_csv_imports_every_row(importer, channel, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(importer, channel, hotline_csv([GOOD, GOOD2]), "export.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == ImportBatch.Status.DONE
    assert batch.imported_rows == 2
    complaint = Complaint.objects.get(external_id="12345-001")
    assert complaint.window == window
    assert complaint.channel == channel
    assert Complaint.objects.get(external_id="12345-002").kind == "suggestion"


def test_a_file_with_bad_rows_imports_nothing_and_reports_row_and_column(
    importer, channel, window, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD, BAD_PHONE, BAD_KIND, BAD_WINDOW]), "export.csv")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REJECTED
    assert not Complaint.objects.exists()
    where = {(e["row"], e["column"]) for e in batch.errors}
    assert where == {(3, "联系电话"), (4, "诉求类型"), (5, "涉及窗口")}
    page = importer.get(f"/intake/imports/{batch.pk}/")
    assert page.status_code == 200
    assert "联系电话" in page.content.decode()
    assert 'data-testid="import-valid"' in page.content.decode()


def test_the_user_can_then_import_only_the_valid_rows(importer, channel, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD, BAD_PHONE]), "export.csv")
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        importer.post(f"/intake/imports/{batch.pk}/import-valid/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert batch.imported_rows == 1
    assert list(Complaint.objects.values_list("external_id", flat=True)) == ["12345-001"]
    assert [e["row"] for e in batch.errors] == [3]


def test_valid_only_chosen_at_upload(importer, channel, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD, BAD_KIND]), "export.csv", valid_only=True)
    assert ImportBatch.objects.get().status == ImportBatch.Status.DONE
    assert Complaint.objects.count() == 1


def test_a_gbk_csv_from_excel_is_read(importer, channel, window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD], encoding="gb18030"), "export.csv")
    assert Complaint.objects.get().content == "窗口人员态度冷漠"


def test_reimporting_the_same_file_skips_duplicates(importer, channel, window, django_capture_on_commit_callbacks):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            upload(importer, channel, hotline_csv([GOOD]), "export.csv")
    last = ImportBatch.objects.order_by("-id").first()
    assert last.duplicate_rows == 1
    assert Complaint.objects.count() == 1


def test_a_survey_xlsx_with_labels_and_numbers(importer, centre, window, django_capture_on_commit_callbacks):
    survey = ChannelFactory(code="survey", kind="third_party", centres=[centre])
    rows = [["S-1", "2026-03-02 10:00", "非常满意", "好", "B01"], ["S-2", "2026-03-02 11:00", 2, "慢", "B01"]]
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, survey, survey_xlsx(rows), "survey.xlsx", kind="survey")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert sorted(Evaluation.objects.values_list("level", flat=True)) == [2, 5]


def test_a_survey_with_a_bad_level_names_the_cell(importer, centre, django_capture_on_commit_callbacks):
    survey = ChannelFactory(code="survey", kind="third_party", centres=[centre])
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, survey, survey_xlsx([["S-1", "2026-03-02", "还行", "", ""]]), "s.xlsx", kind="survey")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.errors[0]["row"] == 2 and batch.errors[0]["column"] == "评价等级"


def test_an_unknown_or_missing_column_is_reported_once(importer, channel, django_capture_on_commit_callbacks):
    content = "工单编号,颜色\n1,红\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, content, "x.csv")
    batch = ImportBatch.objects.get()
    assert {(e["row"], e["column"]) for e in batch.errors} == {(1, "颜色"), (1, "诉求内容")}


def test_a_broken_xlsx_fails_with_a_message(importer, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, b"not a zip", "x.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["message"]


def test_window_staff_cannot_import(as_user, window_staff):
    assert as_user(window_staff).get("/intake/imports/").status_code == 403


def test_another_centres_batch_is_404(as_user, other_leader, importer, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD2]), "export.csv")
    batch = ImportBatch.objects.get()
    assert as_user(other_leader).get(f"/intake/imports/{batch.pk}/").status_code == 404


def test_the_running_batch_shows_progress_to_htmx(importer, channel):
    batch = ImportBatch.objects.create(
        kind="hotline",
        channel=channel,
        centre=channel.centres.first(),
        original_name="big.csv",
        status=ImportBatch.Status.RUNNING,
        total_rows=1000,
    )
    from django.core.cache import cache

    from intake.importing import progress_key

    cache.set(progress_key(batch.pk), 250)
    response = importer.get(f"/intake/imports/{batch.pk}/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<progress" in html and 'value="250"' in html and "hx-trigger" in html
    assert "<html" not in html


def test_the_command_imports_with_a_progress_bar(tmp_path, channel, window):
    path = tmp_path / "export.csv"
    path.write_bytes(hotline_csv([GOOD, BAD_PHONE]))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_feedback", str(path), kind="hotline", channel=channel.code, verbosity=0)
    assert not Complaint.objects.exists()
    out = io.StringIO()
    call_command(
        "import_feedback",
        str(path),
        kind="hotline",
        channel=channel.code,
        valid_only=True,
        stdout=out,
        stderr=io.StringIO(),
        verbosity=0,
    )
    assert "1 imported" in out.getvalue()
    assert Complaint.objects.count() == 1


def test_create_channel_key_prints_the_key_once(channel):
    out = io.StringIO()
    call_command("create_channel_key", channel.code, stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    from intake.models import ChannelKey, hash_key

    assert ChannelKey.objects.get(channel=channel).key_hash == hash_key(raw)


def test_a_flood_of_blank_rows_is_refused_by_the_row_cap(
    importer, channel, settings, django_capture_on_commit_callbacks
):
    """The probe: 8 million blank rows held a worker 6 minutes, as blank rows were skipped before counting."""
    settings.IMPORT_MAX_ROWS = 100
    content = xlsx_with_blank_rows([HOTLINE_HEADER, GOOD], blank=500)
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, content, "flood.xlsx")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert "行数超过上限 100" in batch.errors[0]["message"]
    assert not Complaint.objects.exists()
    assert not batch.file


def test_error_rows_keep_their_spreadsheet_number_past_blank_lines(
    importer, channel, window, django_capture_on_commit_callbacks
):
    content = "\n".join([",".join(HOTLINE_HEADER), ",".join(GOOD), "", ",".join(BAD_PHONE)]).encode()
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, content, "export.csv")
    assert [e["row"] for e in ImportBatch.objects.get().errors] == [4]


def test_the_upload_is_stored_0600_outside_media_and_deleted_once_processed(
    importer, channel, window, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(importer, channel, hotline_csv([GOOD]), "export.csv")
    batch = ImportBatch.objects.get()
    path = Path(batch.file.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert Path(settings.MEDIA_ROOT) not in path.parents
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and not batch.file and not path.exists()


def test_a_failed_batch_deletes_its_upload_too(importer, channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(importer, channel, b"not a zip", "x.xlsx")
    path = Path(ImportBatch.objects.get().file.path)
    for callback in callbacks:
        callback()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and not batch.file and not path.exists()


def test_a_batch_over_its_time_limit_fails_and_deletes_its_upload(
    importer, channel, monkeypatch, django_capture_on_commit_callbacks
):
    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("intake.importing.import_rows", slow)
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD]), "export.csv")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and not batch.file
    assert "处理超时" in batch.errors[0]["message"]


def test_a_rejected_batch_keeps_its_file_for_the_valid_rows_then_the_purge_deletes_it(
    importer, channel, window, settings, tmp_path, django_capture_on_commit_callbacks
):
    import time_machine
    from django.utils import timezone

    from intake.tasks import import_files_purge_task

    settings.MEDIA_ROOT = tmp_path  # where import files were kept before: swept too
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, hotline_csv([GOOD, BAD_PHONE]), "export.csv")
    batch = ImportBatch.objects.get()
    path = Path(batch.file.path)
    assert batch.status == ImportBatch.Status.REJECTED and path.exists()
    assert import_files_purge_task() == 0
    later = timezone.now() + timezone.timedelta(hours=settings.IMPORT_FILE_KEEP_HOURS + 1)
    with time_machine.travel(later):
        assert import_files_purge_task() == 1
        assert import_files_purge_task() == 0
    batch.refresh_from_db()
    assert not batch.file and not path.exists()
    assert batch.errors  # the record of the import stays
    page = importer.get(f"/intake/imports/{batch.pk}/").content.decode()
    assert 'data-testid="import-valid"' not in page
    response = importer.post(f"/intake/imports/{batch.pk}/import-valid/", follow=True)
    assert "重新上传" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_purge_fails_a_batch_whose_task_was_killed_and_deletes_stray_and_old_files(
    importer, channel, settings, tmp_path
):
    import time_machine
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from govservice.uploads import import_storage
    from intake.tasks import import_files_purge_task

    settings.MEDIA_ROOT = tmp_path
    legacy = default_storage.save("intake/imports/2026/01/export.csv", ContentFile(b"13900001234"))

    batch = ImportBatch.objects.create(
        kind="hotline", channel=channel, original_name="big.csv", status=ImportBatch.Status.RUNNING
    )
    batch.file.save("big.csv", ContentFile(b"x"))
    stray = import_storage().save("intake/imports/2020/01/stray.csv", ContentFile(b"13900001234"))
    later = timezone.now() + timezone.timedelta(hours=settings.IMPORT_FILE_KEEP_HOURS + 1)
    with time_machine.travel(later):
        # the stray file and the one kept in MEDIA_ROOT before; the killed batch's file goes with its failure
        assert import_files_purge_task() == 2
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and not batch.file
    assert not import_storage().exists(stray) and not default_storage.exists(legacy)


def test_the_admin_shows_a_batch_but_never_its_file(as_user, admin, channel):
    from django.core.files.base import ContentFile

    batch = ImportBatch.objects.create(kind="hotline", channel=channel, original_name="export.csv")
    batch.file.save("export.csv", ContentFile(b"13900001234"))
    response = as_user(admin).get(f"/admin/intake/importbatch/{batch.pk}/change/")
    assert response.status_code == 200
    assert batch.file.name not in response.content.decode()
