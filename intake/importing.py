"""Batch import of 12345 hotline exports (complaints) and third-party survey files (evaluations).

Every row goes through the same validation as the API and then the same complaints
services, each in its own savepoint, inside ONE transaction. If any row fails and the
user did not choose "import only valid rows", the whole transaction rolls back: a file
with errors imports nothing (and no SMS or webhook leaves, as those wait for commit).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from complaints.models import Channel, Complaint, Evaluation, EvaluationLevel
from govservice.exceptions import DomainError
from govservice.models import Centre

from .models import ImportBatch

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_FILE_BYTES = 10 * 1024 * 1024
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


class FileUnreadable(DomainError):
    code = "unreadable_file"
    default_message = gettext_lazy("无法读取文件：请上传 .xlsx 或 .csv 文件。")


# --- reading -------------------------------------------------------------------------------


def _read_xlsx(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise FileUnreadable() from exc
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(values_only=True):
        yield list(row)
    workbook.close()


def _read_csv(content: bytes) -> Iterator[list[Any]]:
    # Excel in China saves CSV as GB18030 (GBK) unless told otherwise; accept both.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileUnreadable()
    yield from csv.reader(io.StringIO(text))


def read_rows(name: str, content: bytes) -> tuple[list[str], list[list[Any]]]:
    if len(content) > MAX_FILE_BYTES:
        raise FileUnreadable(_("文件过大（上限 10 MB）。"))
    lower = name.lower()
    if lower.endswith(".xlsx"):
        rows = _read_xlsx(content)
    elif lower.endswith(".csv"):
        rows = _read_csv(content)
    else:
        raise FileUnreadable()
    try:
        header = next(rows)
    except StopIteration:
        raise FileUnreadable(_("文件是空的。")) from None
    headers = [str(h).strip() if h is not None else "" for h in header]
    body: list[list[Any]] = []
    for row in rows:
        if all(v is None or str(v).strip() == "" for v in row):
            continue  # blank lines at the end of exports
        body.append(row)
        if len(body) > MAX_ROWS:
            raise FileUnreadable(_("行数超过上限 %(max)d。") % {"max": MAX_ROWS})
    return headers, body


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
    rows: list[list[Any]],
    valid_only: bool,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    from .submit import complaint_receive, evaluation_receive

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
    model = Complaint if kind == ImportBatch.Kind.HOTLINE else Evaluation
    with transaction.atomic():
        for index, row in enumerate(rows):
            row_no = index + 2  # row 1 is the header, as the spreadsheet shows it
            data = {}
            for position, header in enumerate(headers):
                if header and position < len(row):
                    name = fields_by_column[header]
                    value = _normalise(name, row[position])
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
                            receive(channel=channel, data=serializer.validated_data, centre=centre, from_api=False)
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
    from .tasks import import_batch_run

    if kind not in ImportBatch.Kind.values:
        raise DomainError(_("文件类型无效。"), field="kind")
    if upload.size > MAX_FILE_BYTES:
        raise FileUnreadable(_("文件过大（上限 10 MB）。"))
    if not upload.name.lower().endswith((".xlsx", ".csv")):
        raise FileUnreadable()
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
    """The user saw the errors and chose to import only the valid rows of the same file."""
    from .tasks import import_batch_run

    changed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.REJECTED).update(
        valid_only=True, status=ImportBatch.Status.QUEUED, processed_rows=0
    )
    if changed:
        transaction.on_commit(lambda: import_batch_run.delay(batch_id))
    return ImportBatch.objects.get(pk=batch_id)


def import_batch_process(*, batch_id: int) -> ImportBatch | None:
    """Claim a queued batch (compare-and-set, so a redelivered task does nothing) and run it."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING
    )
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("channel", "centre").get(pk=batch_id)
    try:
        with batch.file.open("rb") as handle:
            headers, rows = read_rows(batch.original_name, handle.read())
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
    except DomainError as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [RowError(0, "", exc.message).as_dict()]
        batch.save(update_fields=["status", "errors", "updated_at"])
        return batch
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.FAILED)
        raise
    batch.total_rows = result.total
    batch.processed_rows = result.total
    batch.imported_rows = result.imported
    batch.duplicate_rows = result.duplicates
    batch.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
    batch.status = ImportBatch.Status.DONE if result.committed else ImportBatch.Status.REJECTED
    batch.save()
    return batch


def batch_processed(batch: ImportBatch) -> int:
    if batch.status == ImportBatch.Status.RUNNING:
        return int(cache.get(progress_key(batch.pk)) or 0)
    return batch.processed_rows


IMPORT_FILE_RETENTION_DAYS = 30


def import_files_purge(*, now: datetime | None = None) -> int:
    """Delete uploaded files (they hold citizens' phone numbers) once their batch is a month old.

    The batch row, its counts and its error list stay as the record of what was imported.
    """
    from datetime import timedelta

    from django.utils import timezone

    cutoff = (now or timezone.now()) - timedelta(days=IMPORT_FILE_RETENTION_DAYS)
    count = 0
    for batch in (
        ImportBatch.objects.filter(created_at__lt=cutoff)
        .exclude(file="")
        .exclude(status__in=[ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING])
    ):
        batch.file.delete(save=False)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    return count
