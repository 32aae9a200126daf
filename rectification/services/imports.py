"""Ledger import: an .xlsx in the customary layout becomes problems with measures, all rows or none.

The web request only stores the upload and queues `ledger_import_run` (the "imports" queue, with a time
limit); the task reads the file through govservice/spreadsheet.py within its caps, validates every row,
creates the problems only if no row has an error, records the outcome on the LedgerImport row the page
polls, and deletes the file (govservice/uploads.py), whatever the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exceptions import DomainError, ValidationFailed
from govservice.models import Centre, Department
from govservice.selectors import departments_of
from govservice.spreadsheet import Row, check_upload, read_sheet
from govservice.uploads import QUEUE_EXPIRED, keep_until, stale_before, stray_files_delete, upload_discard
from staff.models import User
from staff.selectors import active_staff_of

from ..documents import LEDGER_COLUMNS
from ..models import LedgerImport, Problem, ProblemSource
from .measures import measure_add
from .problems import problem_create

# Errors kept on the import row for the page; a file with more shows the first ones and the count.
MAX_STORED_ERRORS = 500
UPLOAD_PREFIX = "rectification/imports/"


@dataclass
class ImportRow:
    row: int
    category: str
    title: str
    description: str
    measures: list[str]
    department: Department | None
    person: User
    deadline: date


@dataclass
class ImportResult:
    created: list[Problem] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    total_rows: int = 0


# Chinese labels are matched as written in the file, whatever the UI language.
CATEGORY_BY_LABEL = {"服务态度": "attitude", "业务能力": "ability", "流程效率": "efficiency", "纪律执行": "discipline"}


def _category(value: str) -> str | None:
    value = value.strip()
    if value in ProblemCategory.values:
        return value
    return CATEGORY_BY_LABEL.get(value)


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def ledger_import(*, file: IO[bytes], name: str, centre: Centre, actor: User) -> ImportResult:
    """Read the file within the caps, validate every row first; create problems only if no row has an
    error (nothing half-imported). Called by the task, never in a web request."""
    sheet = read_sheet(file, name=name, formats=("xlsx",))
    header = next(
        (
            i
            for i, row in enumerate(sheet.rows[:5])
            if [str(c or "").strip() for c in row.values[:3]] == list(LEDGER_COLUMNS[:3])
        ),
        None,
    )
    if header is None:
        raise ValidationFailed(_("未找到表头（序号、问题类别、问题表现……）。"), field="file")
    return _import_rows(sheet.rows[header + 1 :], centre=centre, actor=actor)


def _import_rows(rows: list[Row], *, centre: Centre, actor: User) -> ImportResult:
    result = ImportResult(total_rows=len(rows))
    people = {u.name: u for u in active_staff_of(centre=centre)}
    people.update({u.username: u for u in people.values()})
    departments = {d.name: d for d in departments_of(centre=centre)}
    parsed: list[ImportRow] = []
    for raw in rows:
        row, errors = _parse(raw, people, departments)
        if errors:
            result.errors.append((raw.number, "；".join(errors)))
        elif row is not None:
            parsed.append(row)
    if result.errors:
        return result
    if not parsed:
        raise ValidationFailed(_("文件中没有台账数据。"), field="file")
    leader = actor if access.is_leader(actor) else None
    with transaction.atomic():
        for row in parsed:
            problem = problem_create(
                actor=actor,
                centre=centre,
                category=row.category,
                title=row.title,
                description=row.description,
                source=ProblemSource.SELF_INSPECTION,
                found_on=timezone.localdate(),
                responsible_leader=leader or row.person,
                responsible_person=row.person,
                responsible_department=row.department,
            )
            for text in row.measures:
                measure_add(
                    problem_id=problem.id,
                    actor=actor,
                    description=text,
                    owner=row.person,
                    owner_department=row.department,
                    deadline=row.deadline,
                )
            result.created.append(problem)
    return result


def _parse(raw: Row, people: dict[str, User], departments: dict[str, Department]) -> tuple[ImportRow | None, list[str]]:
    cells: list[Any] = [("" if c is None else c) for c in (list(raw.values) + [None] * 9)[:9]]
    errors = []
    category = _category(str(cells[1]))
    if category is None:
        errors.append(_("问题类别“%(v)s”无效") % {"v": cells[1]})
    text = str(cells[2]).strip()
    if not text:
        errors.append(_("问题表现不能为空"))
    measures = [line.strip().lstrip("0123456789.、) ").strip() for line in str(cells[3]).splitlines()]
    measures = [m for m in measures if m]
    if not measures:
        errors.append(_("整改措施不能为空"))
    dept_name = str(cells[4]).strip().split("、")[0]
    department = departments.get(dept_name) if dept_name else None
    if dept_name and department is None:
        errors.append(_("责任单位“%(v)s”不存在") % {"v": dept_name})
    person_name = str(cells[5]).strip().split("、")[0]
    person = people.get(person_name)
    if person is None:
        errors.append(_("责任人“%(v)s”不在本中心") % {"v": person_name})
    deadline = _date(cells[6])
    if deadline is None:
        errors.append(_("整改时限“%(v)s”不是日期") % {"v": cells[6]})
    if errors or category is None or person is None or deadline is None:
        return None, errors
    title, _sep, description = text.partition("\n")
    return (
        ImportRow(
            raw.number, category, title[:200], description.strip() or title, measures, department, person, deadline
        ),
        [],
    )


# --- the import row (the page) and the task --------------------------------------------------------------


def ledger_import_create(*, centre: Centre, actor: User, upload: Any) -> LedgerImport:
    """Store the upload (0600, outside MEDIA_ROOT) and queue the task. The file is not opened here."""
    from ..tasks import ledger_import_run

    if not access.has_management_role(actor):
        raise DomainError(_("您没有权限导入整改台账。"))
    check_upload(upload.name, upload.size, formats=("xlsx",))
    batch = LedgerImport.objects.create(centre=centre, uploaded_by=actor, file=upload, file_name=upload.name[:200])
    transaction.on_commit(lambda: ledger_import_run.delay(batch.pk))
    return batch


def _finish(batch: LedgerImport, fields: list[str]) -> LedgerImport:
    if batch.file:
        upload_discard(batch.file)
        batch.file.name = ""
        fields = [*fields, "file"]
    batch.save(update_fields=[*fields, "updated_at"])
    return batch


def _fail(batch: LedgerImport, message: str) -> LedgerImport:
    batch.status = LedgerImport.Status.FAILED
    batch.errors = [{"row": 0, "message": message}]
    return _finish(batch, ["status", "errors"])


def _time_limit_message() -> str:
    return _("处理超时（上限 %(s)d 秒），未导入任何问题。请拆分文件后重新上传。") % {
        "s": settings.IMPORT_TASK_SOFT_TIME_LIMIT
    }


def ledger_import_process(*, import_id: int) -> LedgerImport | None:
    """Claim a queued import (compare-and-set: a redelivered task does nothing), run it, delete the file."""
    claimed = LedgerImport.objects.filter(pk=import_id, status=LedgerImport.Status.QUEUED).update(
        status=LedgerImport.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    batch = LedgerImport.objects.select_related("centre", "uploaded_by").get(pk=import_id)
    try:
        with batch.file.open("rb") as handle:
            result = ledger_import(file=handle, name=batch.file_name, centre=batch.centre, actor=batch.uploaded_by)
    except DomainError as exc:
        return _fail(batch, exc.message)
    except SoftTimeLimitExceeded:
        return _fail(batch, _time_limit_message())
    except Exception:
        _fail(batch, _("处理失败，未导入任何问题。请稍后重试或联系管理员。"))
        raise
    batch.total_rows = result.total_rows
    batch.created_count = len(result.created)
    batch.errors = [{"row": row, "message": message} for row, message in result.errors[:MAX_STORED_ERRORS]]
    batch.status = LedgerImport.Status.REJECTED if result.errors else LedgerImport.Status.DONE
    return _finish(batch, ["total_rows", "created_count", "errors", "status"])


def ledger_import_files_purge(*, now: datetime | None = None) -> int:
    """Fail imports whose task was killed at the hard time limit (deleting their files); delete stray files."""
    count = 0
    killed = LedgerImport.objects.filter(status=LedgerImport.Status.RUNNING, updated_at__lt=stale_before(now))
    for batch in killed:
        _fail(batch, _time_limit_message())
        count += 1
    for batch in LedgerImport.objects.filter(status=LedgerImport.Status.QUEUED, updated_at__lt=keep_until(now)):
        _fail(batch, str(QUEUE_EXPIRED))  # its task message was lost
        count += 1
    done = LedgerImport.objects.exclude(file="").exclude(
        status__in=[LedgerImport.Status.QUEUED, LedgerImport.Status.RUNNING]
    )
    for batch in done:
        upload_discard(batch.file)
        LedgerImport.objects.filter(pk=batch.pk).update(file="")
        count += 1
    live = set(LedgerImport.objects.exclude(file="").values_list("file", flat=True))
    return count + stray_files_delete(prefix=UPLOAD_PREFIX, keep=live, now=now)
