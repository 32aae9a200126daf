"""Batch import of 12345 hotline exports (complaints) and third-party survey files (evaluations).

Every row goes through the same validation as the API and then the same complaints
services, each in its own savepoint, inside ONE transaction. If any row fails and the
user did not choose "import only valid rows", the whole transaction rolls back: a file
with errors imports nothing (and no SMS or webhook leaves, as those wait for commit).

The file is read only in the task (on the "imports" queue, with a time limit), by the shared reader
with its caps (govservice/spreadsheet.py), and deleted when the task is done (govservice/uploads.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from complaints.models import Channel, Complaint, Evaluation, EvaluationLevel
from govservice.exceptions import DomainError
from govservice.models import Centre
from govservice.spreadsheet import Row, SpreadsheetRefused, check_upload, read_sheet
from govservice.uploads import QUEUE_EXPIRED, keep_until, stale_before, stray_files_delete, upload_discard

from .models import ImportBatch

logger = logging.getLogger(__name__)

MAX_STORED_ERRORS = 1000
PROGRESS_EVERY = 50

# Column header (as exported, Chinese; or the API field name) → API field.
HOTLINE_COLUMNS = {
    "工单编号": "external_id",
    "受理时间": "received_at",
    "诉求类型": "kind",
    "诉求内容": "content",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "涉及窗口": "window",
    "涉及人员工号": "staff_no",
    "涉及事项": "matter_type",
    "中心": "centre",
}
SURVEY_COLUMNS = {
    "记录编号": "external_id",
    "评价时间": "rated_at",
    "评价等级": "level",
    "评价内容": "text",
    "窗口": "window",
    "工号": "staff_no",
    "事项": "matter_type",
    "办件编号": "case",
    "中心": "centre",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    ImportBatch.Kind.HOTLINE: ("external_id", "content"),
    ImportBatch.Kind.SURVEY: ("external_id", "level"),
}
KIND_LABELS = {"投诉": "complaint", "建议": "suggestion"}
LEVEL_LABELS = {str(level.label): level.value for level in EvaluationLevel}
UNKNOWN_COLUMN = gettext_lazy("未知的列。")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})


# --- reading -------------------------------------------------------------------------------


def read_rows(file: IO[bytes], name: str) -> tuple[list[str], list[Row]]:
    """(the header, the non-blank rows after it, each with the row number the spreadsheet shows)."""
    sheet = read_sheet(file, name=name)
    if not sheet.rows:
        raise SpreadsheetRefused(_("文件是空的。"))
    header, *body = sheet.rows
    return [str(h).strip() if h is not None else "" for h in header.values], body


# --- validating and importing --------------------------------------------------------------


def _normalise(field_name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text == "":
        return None
    if field_name in ("received_at", "rated_at"):
        return text.replace("/", "-")
    if field_name == "kind":
        return KIND_LABELS.get(text, text)
    if field_name == "level":
        return LEVEL_LABELS.get(text, text)
    return text


def _serializer_for(kind: str) -> type[serializers.Serializer]:
    from .api import ComplaintCreateApi, EvaluationCreateApi

    return (
        ComplaintCreateApi.InputSerializer if kind == ImportBatch.Kind.HOTLINE else EvaluationCreateApi.InputSerializer
    )


def import_rows(
    *,
    kind: str,
    channel: Channel,
    centre: Centre | None,
    headers: list[str],
    rows: list[Row],
    valid_only: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    from .submit import complaint_receive, evaluation_receive
    from .work_orders import attaches_work_orders, work_order_attach_imported

    columns = HOTLINE_COLUMNS if kind == ImportBatch.Kind.HOTLINE else SURVEY_COLUMNS
    fields_by_column = {**columns, **{v: v for v in columns.values()}}
    column_of = {}
    result = ImportResult(total=len(rows))
    for header in headers:
        if header and header not in fields_by_column:
            result.errors.append(RowError(1, header, str(UNKNOWN_COLUMN)))
        elif header:
            column_of[fields_by_column[header]] = header
    for required in REQUIRED[kind]:
        if required not in column_of:
            label = next(k for k, v in columns.items() if v == required)
            result.errors.append(RowError(1, label, _("缺少必需的列。")))
    if result.errors:
        return result  # a wrong header makes every row wrong: say it once

    serializer_class = _serializer_for(kind)
    receive = complaint_receive if kind == ImportBatch.Kind.HOTLINE else evaluation_receive
    # A 12345 platform's file: each order also gets its work order, on the push's key (channel, order number).
    work_orders = kind == ImportBatch.Kind.HOTLINE and attaches_work_orders(channel.id)
    model = Complaint if kind == ImportBatch.Kind.HOTLINE else Evaluation
    with transaction.atomic():
        for index, row in enumerate(rows):
            row_no = row.number
            data = {}
            for position, header in enumerate(headers):
                if header and position < len(row.values):
                    name = fields_by_column[header]
                    value = _normalise(name, row.values[position])
                    if value is not None:
                        data[name] = value
            serializer = serializer_class(data=data)
            if not serializer.is_valid():
                for name, messages in serializer.errors.items():
                    column = column_of.get(name, name)
                    result.errors.extend(RowError(row_no, column, str(m)) for m in messages)
            else:
                external_id = serializer.validated_data.get("external_id")
                if external_id and model.objects.filter(channel=channel, external_id=external_id).exists():
                    result.duplicates += 1
                else:
                    try:
                        with transaction.atomic():
                            # from_api=False: staff's import of older records (submit.py, timestamps.py).
                            record, _new = receive(
                                channel=channel, data=serializer.validated_data, centre=centre, from_api=False
                            )
                            if work_orders:
                                assert isinstance(record, Complaint)  # noqa: S101 - a hotline row
                                work_order_attach_imported(complaint=record)
                        result.imported += 1
                    except DomainError as exc:
                        column = column_of.get(exc.field or "", exc.field or "")
                        result.errors.append(RowError(row_no, column, exc.message))
            if progress is not None and (index + 1) % PROGRESS_EVERY == 0:
                progress(index + 1)
        if result.errors and not valid_only:
            transaction.set_rollback(True)
            result.imported = 0
        else:
            result.committed = True
    if progress is not None:
        progress(len(rows))
    return result


# --- the batch record (screen and task) --------------------------------------------------


def progress_key(batch_id: int) -> str:
    return f"intake:import:{batch_id}:processed"


def import_batch_create(
    *, kind: str, channel: Channel, centre: Centre | None, upload: Any, valid_only: bool, user: Any
) -> ImportBatch:
    """Store the upload (0600, outside MEDIA_ROOT) and queue its task; the file is not opened here."""
    from .tasks import import_batch_run

    if kind not in ImportBatch.Kind.values:
        raise DomainError(_("文件类型无效。"), field="kind")
    check_upload(upload.name, upload.size)
    batch = ImportBatch.objects.create(
        kind=kind,
        centre=centre,
        channel=channel,
        file=upload,
        original_name=upload.name[:255],
        valid_only=valid_only,
        uploaded_by=user,
    )
    transaction.on_commit(lambda: import_batch_run.delay(batch.pk))
    return batch


def import_batch_retry_valid_only(*, batch_id: int) -> ImportBatch:
    """The user saw the errors and chose to import only the valid rows of the same file (kept for this,
    IMPORT_FILE_KEEP_HOURS at most)."""
    from .tasks import import_batch_run

    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportBatch.Status.REJECTED and not batch.file:
        raise DomainError(_("文件已按规定删除，请勾选“只导入有效行”后重新上传。"))
    changed = (
        ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.REJECTED)
        .exclude(file="")
        .update(valid_only=True, status=ImportBatch.Status.QUEUED, processed_rows=0, updated_at=timezone.now())
    )
    if changed:
        transaction.on_commit(lambda: import_batch_run.delay(batch_id))
    return ImportBatch.objects.get(pk=batch_id)


def _finish(batch: ImportBatch, fields: list[str]) -> None:
    """Save the outcome; the file goes now, except a rejected batch's, kept for "import only the valid rows"."""
    if batch.status != ImportBatch.Status.REJECTED and batch.file:
        upload_discard(batch.file)
        batch.file.name = ""
        fields = [*fields, "file"]
    batch.save(update_fields=[*fields, "updated_at"])


def import_batch_process(*, batch_id: int) -> ImportBatch | None:
    """Claim a queued batch (compare-and-set, so a redelivered task does nothing) and run it."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("channel", "centre").get(pk=batch_id)
    try:
        with batch.file.open("rb") as handle:
            headers, rows = read_rows(handle, batch.original_name)
        ImportBatch.objects.filter(pk=batch_id).update(total_rows=len(rows))
        result = import_rows(
            kind=batch.kind,
            channel=batch.channel,
            centre=batch.centre,
            headers=headers,
            rows=rows,
            valid_only=batch.valid_only,
            progress=lambda n: cache.set(progress_key(batch_id), n, 3600),
        )
    except (DomainError, SoftTimeLimitExceeded) as exc:
        message = exc.message if isinstance(exc, DomainError) else _time_limit_message()
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [RowError(0, "", message).as_dict()]
        _finish(batch, ["status", "errors"])
        return batch
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        batch.status = ImportBatch.Status.FAILED
        _finish(batch, ["status"])
        raise
    batch.total_rows = result.total
    batch.processed_rows = result.total
    batch.imported_rows = result.imported
    batch.duplicate_rows = result.duplicates
    batch.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
    batch.status = ImportBatch.Status.DONE if result.committed else ImportBatch.Status.REJECTED
    _finish(batch, ["total_rows", "processed_rows", "imported_rows", "duplicate_rows", "errors", "status"])
    return batch


def _time_limit_message() -> str:
    return _("处理超时（上限 %(s)d 秒），未导入任何行。请拆分文件后重新上传。") % {
        "s": settings.IMPORT_TASK_SOFT_TIME_LIMIT
    }


def batch_processed(batch: ImportBatch) -> int:
    if batch.status == ImportBatch.Status.RUNNING:
        return int(cache.get(progress_key(batch.pk)) or 0)
    return batch.processed_rows


UPLOAD_PREFIX = "intake/imports/"


def import_files_purge(*, now: datetime | None = None) -> int:
    """Delete import files left behind (they hold citizens' phone numbers); returns how many went.

    A batch whose task was killed at the hard time limit is failed and its file deleted; a rejected
    batch's file goes after IMPORT_FILE_KEEP_HOURS; a file no batch names (a crash between saving the
    file and the row) goes after the same time. Files from before (MEDIA_ROOT, 0644) go at once.
    The batch row, its counts and its error list stay as the record of what was imported.
    """
    now = now or timezone.now()
    killed = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING, updated_at__lt=stale_before(now))
    lost = ImportBatch.objects.filter(status=ImportBatch.Status.QUEUED, updated_at__lt=keep_until(now))
    for batches, message in ((killed, _time_limit_message()), (lost, str(QUEUE_EXPIRED))):
        for batch in batches:
            batch.status = ImportBatch.Status.FAILED
            batch.errors = [RowError(0, "", message).as_dict()]
            _finish(batch, ["status", "errors"])
    count = 0
    with_files = ImportBatch.objects.exclude(file="")
    done = with_files.exclude(status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING]).exclude(
        status=ImportBatch.Status.REJECTED, updated_at__gte=keep_until(now)
    )
    for batch in done:
        upload_discard(batch.file)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    live = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    count += stray_files_delete(prefix=UPLOAD_PREFIX, keep=live, now=now)
    from django.core.files.storage import default_storage

    count += stray_files_delete(prefix=UPLOAD_PREFIX, now=now, storage=default_storage)
    return count
