"""Excel import of an existing question bank, read by govservice/spreadsheet.py within its caps.

Every row is validated first; if any row is bad nothing is written and the
errors are reported by row number. Otherwise all rows are written in one
transaction. An already reviewed bank (the centre's 876 questions) may be
published directly by a centre admin; otherwise questions arrive as drafts.
The upload is read only in the task (the "imports" queue, with a time limit) and deleted when it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.selectors import matter_types_of
from govservice import access
from govservice.exceptions import NotPermitted
from govservice.models import Centre
from govservice.selectors import departments_of
from govservice.spreadsheet import SpreadsheetRefused, read_sheet
from govservice.uploads import QUEUE_EXPIRED, keep_until, stale_before, stray_files_delete, upload_discard
from staff.models import User

from .models import ImportBatch, Question, QuestionEvent, split_words
from .segment import normalize
from .services import QuestionData, question_create

# Column header → field. The first row of the sheet holds the headers, in any order.
COLUMNS: dict[str, str] = {
    "问题": "question",
    "相似问法": "variants",
    "答复": "answer",
    "部门": "department",
    "政策文件": "policy_document",
    "条款": "policy_article",
    "文件日期": "policy_date",
    "政策依据": "policy_basis",
    "办理流程": "procedure",
    "所需材料": "materials",
    "标签": "tags",
    "关联事项编码": "matter_codes",
    "生效日期": "valid_from",
    "失效日期": "valid_until",
    "需法制审核": "needs_legal_review",
}
REQUIRED = ("question", "answer")
TRUE_WORDS = {"是", "需要", "y", "yes", "true", "1", "√"}


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(file: IO[bytes], name: str = "bank.xlsx") -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """(missing required columns, [(row number, {field: value})]), read within the caps of
    govservice/spreadsheet.py (SpreadsheetRefused past any of them)."""
    sheet = read_sheet(file, name=name, formats=("xlsx",))
    header = sheet.rows[0].values if sheet.rows and sheet.rows[0].number == 1 else ()
    fields = [COLUMNS.get(str(cell).strip().rstrip("*")) if cell is not None else None for cell in header]
    missing = [name for name, value in COLUMNS.items() if value in REQUIRED and value not in fields]
    out = [
        (row.number, {f: v for f, v in zip(fields, row.values, strict=False) if f})
        for row in sheet.rows
        if row.number > 1
    ]
    return missing, out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any, label: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError as exc:
        raise ValueError(
            _("%(label)s“%(value)s”不是日期（应为 2024-01-31）") % {"label": label, "value": value}
        ) from exc


class _Lookup:
    def __init__(self, centre: Centre) -> None:
        self.departments: dict[str, int] = {}
        for dep in departments_of(centre=centre):
            self.departments[dep.code.lower()] = dep.id
            self.departments[dep.name] = dep.id
        self.matters = {
            code.lower(): id_ for code, id_ in matter_types_of(centre=centre, active=False).values_list("code", "id")
        }
        self.existing = {
            normalize(q) for q in Question.objects.filter(centre=centre).values_list("question", flat=True)
        }


def validate_row(values: dict[str, Any], lookup: _Lookup, seen: set[str]) -> tuple[QuestionData | None, list[str]]:
    problems: list[str] = []
    question = _text(values.get("question"))
    answer = _text(values.get("answer"))
    if not question:
        problems.append(_("缺少问题"))
    elif len(question) > 300:
        problems.append(_("问题超过 300 字"))
    if not answer:
        problems.append(_("缺少答复"))
    norm = normalize(question)
    if norm and norm in lookup.existing:
        problems.append(_("问题已在问答库中"))
    elif norm and norm in seen:
        problems.append(_("问题在表格中重复"))
    department_id = None
    department = _text(values.get("department"))
    if department:
        department_id = lookup.departments.get(department) or lookup.departments.get(department.lower())
        if department_id is None:
            problems.append(_("部门“%(name)s”不存在") % {"name": department})
    matter_ids = []
    for code in split_words(_text(values.get("matter_codes"))):
        if code in lookup.matters:
            matter_ids.append(lookup.matters[code])
        else:
            problems.append(_("事项编码“%(code)s”不存在") % {"code": code})
    dates: dict[str, date | None] = {}
    for name, label in (("policy_date", _("文件日期")), ("valid_from", _("生效日期")), ("valid_until", _("失效日期"))):
        try:
            dates[name] = _date(values.get(name), label)
        except ValueError as exc:
            problems.append(str(exc))
            dates[name] = None
    if dates["valid_from"] and dates["valid_until"] and dates["valid_until"] < dates["valid_from"]:
        problems.append(_("失效日期早于生效日期"))
    if problems:
        return None, problems
    seen.add(norm)
    variants = [v.strip() for v in _text(values.get("variants")).replace("；", "\n").replace(";", "\n").splitlines()]
    return (
        QuestionData(
            question=question,
            answer=answer,
            department_id=department_id,
            variants=[v for v in variants if v],
            policy_document=_text(values.get("policy_document"))[:200].strip("《》"),
            policy_article=_text(values.get("policy_article"))[:100],
            policy_date=dates["policy_date"],
            policy_basis=_text(values.get("policy_basis")),
            procedure=_text(values.get("procedure")),
            materials=_text(values.get("materials")),
            tags=split_words(_text(values.get("tags"))),
            matter_type_ids=matter_ids,
            needs_legal_review=_text(values.get("needs_legal_review")).lower() in TRUE_WORDS,
            valid_from=dates["valid_from"],
            valid_until=dates["valid_until"],
        ),
        [],
    )


def question_bank_import(
    *,
    centre: Centre,
    actor: User,
    rows: Iterable[tuple[int, dict[str, Any]]],
    publish: bool = False,
    progress: Callable[[int], None] | None = None,
    on_write: Callable[[], None] | None = None,
) -> ImportResult:
    """Validate every row, then write all of them in one transaction — or none."""
    if not access.can_administer_centre(actor, centre.id):
        raise NotPermitted(_("只有中心管理员可以导入题库。"))
    lookup = _Lookup(centre)
    seen: set[str] = set()
    valid: list[QuestionData] = []
    result = ImportResult()
    for number, values in rows:
        data, problems = validate_row(values, lookup, seen)
        if problems:
            result.errors.extend(RowError(number, problem) for problem in problems)
        elif data is not None:
            valid.append(data)
        if progress:
            progress(1)
    if result.errors:
        return result
    if on_write:
        on_write()
    with transaction.atomic():
        for data in valid:
            question = question_create(centre=centre, actor=actor, data=data, note=_("题库导入"))
            if publish and question.is_current(timezone.localdate()):
                # An already reviewed bank: recorded as one reviewed step, by the admin who imported it.
                QuestionEvent.objects.create(
                    question=question,
                    old_status=question.status,
                    new_status=Question.Status.PUBLISHED,
                    actor=actor,
                    note=_("导入已审核题库"),
                )
                now = timezone.now()
                Question.objects.filter(pk=question.pk).update(
                    status=Question.Status.PUBLISHED, status_changed_at=now, published_at=now
                )
            result.created += 1
    return result


def _finish(batch: ImportBatch, fields: list[str]) -> ImportBatch:
    """Save the outcome and delete the upload now, whatever the outcome."""
    if batch.file:
        upload_discard(batch.file)
        batch.file.name = ""
        fields = [*fields, "file"]
    batch.save(update_fields=[*fields, "updated_at"])
    return batch


def _time_limit_message() -> str:
    return _("处理超时（上限 %(s)d 秒），未导入任何问答。请拆分表格后重新上传。") % {
        "s": settings.IMPORT_TASK_SOFT_TIME_LIMIT
    }


def import_batch_process(*, batch_id: int) -> ImportBatch:
    """Run one uploaded batch (from the Celery task); progress is saved as rows are validated."""
    claimed = ImportBatch.objects.filter(id=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.VALIDATING, updated_at=timezone.now()
    )
    batch = ImportBatch.objects.select_related("centre", "uploaded_by").get(id=batch_id)
    if not claimed:
        return batch
    try:
        return _process(batch)
    except SoftTimeLimitExceeded:
        batch.refresh_from_db()
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [{"row": 0, "message": _time_limit_message()}]
        return _finish(batch, ["status", "errors"])
    except Exception:
        batch.refresh_from_db()
        batch.status = ImportBatch.Status.FAILED
        _finish(batch, ["status"])
        raise


def _process(batch: ImportBatch) -> ImportBatch:
    try:
        with batch.file.open("rb") as handle:
            missing, rows = read_rows(handle, batch.file_name)
    except SpreadsheetRefused as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [{"row": 0, "message": exc.message}]
        return _finish(batch, ["status", "errors"])
    if missing:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [{"row": 1, "message": _("缺少必填列：%(cols)s") % {"cols": "、".join(missing)}}]
        return _finish(batch, ["status", "errors"])
    batch.total_rows = len(rows)
    batch.save(update_fields=["total_rows", "updated_at"])
    counter = {"n": 0}

    def progress(step: int) -> None:
        counter["n"] += step
        if counter["n"] % 25 == 0 or counter["n"] == batch.total_rows:
            ImportBatch.objects.filter(id=batch.id).update(processed_rows=counter["n"])

    def on_write() -> None:
        ImportBatch.objects.filter(id=batch.id).update(status=ImportBatch.Status.IMPORTING)

    try:
        result = question_bank_import(
            centre=batch.centre,
            actor=batch.uploaded_by,
            rows=rows,
            publish=batch.publish,
            progress=progress,
            on_write=on_write,
        )
    except NotPermitted as exc:
        result = ImportResult(errors=[RowError(0, exc.message)])
    batch.refresh_from_db()
    batch.processed_rows = batch.total_rows
    batch.created_count = result.created
    batch.errors = [{"row": e.row, "message": e.message} for e in result.errors]
    batch.status = ImportBatch.Status.DONE if result.ok else ImportBatch.Status.FAILED
    return _finish(batch, ["processed_rows", "created_count", "errors", "status"])


UPLOAD_PREFIX = "knowledge/imports/"


def import_files_purge(*, now: datetime | None = None) -> int:
    """Fail batches whose task was killed at the hard time limit (deleting their files) and delete stray
    files: a crash between saving a file and its row, and files kept in MEDIA_ROOT before."""
    running = [ImportBatch.Status.PENDING, ImportBatch.Status.VALIDATING, ImportBatch.Status.IMPORTING]
    killed = ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.VALIDATING, ImportBatch.Status.IMPORTING], updated_at__lt=stale_before(now)
    )
    lost = ImportBatch.objects.filter(status=ImportBatch.Status.PENDING, updated_at__lt=keep_until(now))
    count = 0
    for batches, message in ((killed, _time_limit_message()), (lost, str(QUEUE_EXPIRED))):
        for batch in batches:
            batch.status = ImportBatch.Status.FAILED
            batch.errors = [{"row": 0, "message": message}]
            _finish(batch, ["status", "errors"])
            count += 1
    for batch in ImportBatch.objects.exclude(file="").exclude(status__in=running):
        upload_discard(batch.file)
        ImportBatch.objects.filter(pk=batch.pk).update(file="")
        count += 1
    live = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    count += stray_files_delete(prefix=UPLOAD_PREFIX, keep=live, now=now)
    from django.core.files.storage import default_storage

    return count + stray_files_delete(prefix=UPLOAD_PREFIX, now=now, storage=default_storage)
