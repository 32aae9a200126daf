"""Ledger import in two steps: a preview of every change, then (confirmed by the uploader) all or none.

The web request only stores the upload and queues `ledger_import_run` (the "imports" queue, with a time
limit); the task reads the file through govservice/spreadsheet.py within its caps, compares every row with
the ledger (rectification/roundtrip.py), keeps the changes as the import's plan for the preview page (or
the errors by row and column), and deletes the file (govservice/uploads.py), whatever the outcome. The
uploader's confirmation queues `ledger_import_apply_run`, which applies the plan in one transaction
(services/roundtrip_apply.py). A file that changes nothing is done at once: "0 changes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, DomainError, NotFound, NotPermitted, ValidationFailed
from govservice.models import Centre
from govservice.selectors import departments_of
from govservice.spreadsheet import check_upload, read_sheet
from govservice.uploads import QUEUE_EXPIRED, keep_until, stale_before, stray_files_delete, upload_discard
from staff.models import User
from staff.selectors import active_staff_of, scope_to_user

from ..models import LedgerImport
from ..roundtrip import Lookup, RowError, find_header, plan_rows
from .roundtrip_apply import apply_plan

# Errors kept on the import row for the page; a file with more shows the first ones and the count.
MAX_STORED_ERRORS = 500
UPLOAD_PREFIX = "rectification/imports/"


@dataclass
class ImportResult:
    """What a file would change (`plan`, `change_count`) or changed (`created`, `updated`), or its errors."""

    plan: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: int = 0

    @property
    def change_count(self) -> int:
        return sum(len(entry["changes"]) for entry in self.plan)


def _lookup(centre: Centre) -> Lookup:
    people = {u.name: u for u in active_staff_of(centre=centre)}
    people.update({u.username: u for u in people.values()})
    return Lookup(people=people, departments={d.name: d for d in departments_of(centre=centre)})


def ledger_import_preview(*, file: IO[bytes], name: str, centre: Centre, actor: User) -> ImportResult:
    """Read the file within the caps and compare every row with the ledger; change nothing.

    The plan is tried in a transaction that is rolled back (every service's rule is checked), so the
    preview lists every error a later apply would meet. Called by the task, never in a web request."""
    sheet = read_sheet(file, name=name, formats=("xlsx",))
    rows = [(row.number, row.values) for row in sheet.rows]
    header = find_header(rows)
    if header is None:
        raise ValidationFailed(_("未找到表头（序号、问题类别、问题表现……）。"), field="file")
    index, positions, written = header
    body = rows[index + 1 :]
    if not body:
        raise ValidationFailed(_("文件中没有台账数据。"), field="file")
    plans, errors = plan_rows(body, positions, written, _lookup(centre), centre_id=centre.id)
    result = ImportResult(plan=[p.as_dict() for p in plans], errors=errors, total_rows=len(body))
    if not errors and result.plan:
        result.errors = apply_plan(result.plan, centre=centre, actor=actor, dry_run=True).errors
    return result


def ledger_import(*, file: IO[bytes], name: str, centre: Centre, actor: User) -> ImportResult:
    """Preview and apply at once (commands and tests): all rows or none."""
    result = ledger_import_preview(file=file, name=name, centre=centre, actor=actor)
    if result.errors or not result.plan:
        return result
    applied = apply_plan(result.plan, centre=centre, actor=actor)
    result.errors, result.created, result.updated = applied.errors, applied.created, applied.updated
    return result


# --- the import row (the page) and the task --------------------------------------------------------------


def ledger_import_create(*, centre: Centre, actor: User, upload: Any) -> LedgerImport:
    """Store the upload (0600, outside MEDIA_ROOT) and queue the task. The file is not opened here."""
    from ..tasks import ledger_import_run

    if not access.has_management_role(actor):
        raise DomainError(_("您没有权限导入整改台账。"))
    check_upload(upload.name, upload.size, formats=("xlsx",))
    batch = LedgerImport.objects.create(
        centre=centre,
        uploaded_by=actor,
        file=upload,
        file_name=upload.name[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
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
    batch.errors = [{"row": 0, "column": "", "message": message}]
    return _finish(batch, ["status", "errors"])


def _time_limit_message() -> str:
    return _("处理超时（上限 %(s)d 秒），未导入任何问题。请拆分文件后重新上传。") % {
        "s": settings.IMPORT_TASK_SOFT_TIME_LIMIT
    }


def _stored_errors(errors: list[RowError]) -> list[dict[str, Any]]:
    return [error.as_dict() for error in errors[:MAX_STORED_ERRORS]]


def ledger_import_process(*, import_id: int) -> LedgerImport | None:
    """Claim a queued import (compare-and-set: a redelivered task does nothing), compare it with the
    ledger and keep the plan as the preview; delete the file. Nothing in the ledger changes here."""
    claimed = LedgerImport.objects.filter(pk=import_id, status=LedgerImport.Status.QUEUED).update(
        status=LedgerImport.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    batch = LedgerImport.objects.select_related("centre", "uploaded_by").get(pk=import_id)
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            with batch.file.open("rb") as handle:
                result = ledger_import_preview(
                    file=handle, name=batch.file_name, centre=batch.centre, actor=batch.uploaded_by
                )
        except DomainError as exc:
            return _fail(batch, exc.message)
        except SoftTimeLimitExceeded:
            return _fail(batch, _time_limit_message())
        except Exception:
            _fail(batch, _("处理失败，未导入任何问题。请稍后重试或联系管理员。"))
            raise
    batch.total_rows = result.total_rows
    batch.errors = _stored_errors(result.errors)
    batch.plan = [] if result.errors else result.plan
    batch.change_count = 0 if result.errors else result.change_count
    if result.errors:
        batch.status = LedgerImport.Status.REJECTED
    else:
        # Nothing differs (the ledger's own export): done, with 0 changes; else wait for the uploader.
        batch.status = LedgerImport.Status.PREVIEW if result.plan else LedgerImport.Status.DONE
    return _finish(batch, ["total_rows", "errors", "plan", "change_count", "status"])


@transaction.atomic
def ledger_import_confirm(*, import_id: int, actor: User) -> LedgerImport:
    """The uploader confirms the previewed changes: queued for applying (compare-and-set, once)."""
    from ..tasks import ledger_import_apply_run

    batch = scope_to_user(LedgerImport.objects.select_for_update(), actor).filter(pk=import_id).first()
    if batch is None:
        raise NotFound(_("未找到该导入。"))
    if batch.uploaded_by_id != actor.id:
        raise NotPermitted(_("只有上传人可以确认导入。"))
    if batch.status != LedgerImport.Status.PREVIEW:
        raise Conflict(_("该导入已不在待确认状态：%(s)s。") % {"s": batch.get_status_display()})
    batch.status = LedgerImport.Status.CONFIRMED
    batch.confirmed_by, batch.confirmed_at = actor, timezone.now()
    batch.language = translation.get_language() or batch.language
    batch.save(update_fields=["status", "confirmed_by", "confirmed_at", "language", "updated_at"])
    transaction.on_commit(lambda: ledger_import_apply_run.delay(batch.pk))
    return batch


def ledger_import_apply_process(*, import_id: int) -> LedgerImport | None:
    """Claim a confirmed import (compare-and-set) and apply its plan: every change or none."""
    claimed = LedgerImport.objects.filter(pk=import_id, status=LedgerImport.Status.CONFIRMED).update(
        status=LedgerImport.Status.APPLYING, updated_at=timezone.now()
    )
    if not claimed:
        return None
    batch = LedgerImport.objects.select_related("centre", "uploaded_by").get(pk=import_id)
    with translation.override(batch.language or settings.LANGUAGE_CODE):
        try:
            applied = apply_plan(batch.plan, centre=batch.centre, actor=batch.uploaded_by)
        except SoftTimeLimitExceeded:
            return _fail(batch, _time_limit_message())
        except Exception:
            _fail(batch, _("处理失败，未导入任何问题。请稍后重试或联系管理员。"))
            raise
    batch.errors = _stored_errors(applied.errors)
    batch.created_count, batch.updated_count = len(applied.created), applied.updated
    batch.status = LedgerImport.Status.REJECTED if applied.errors else LedgerImport.Status.DONE
    return _finish(batch, ["errors", "created_count", "updated_count", "status"])


def ledger_import_files_purge(*, now: datetime | None = None) -> int:
    """Fail imports whose task was killed at the hard time limit (deleting their files); delete stray files."""
    count = 0
    killed = LedgerImport.objects.filter(
        status__in=[LedgerImport.Status.RUNNING, LedgerImport.Status.APPLYING], updated_at__lt=stale_before(now)
    )
    for batch in killed:
        _fail(batch, _time_limit_message())
        count += 1
    lost = [LedgerImport.Status.QUEUED, LedgerImport.Status.CONFIRMED]
    for batch in LedgerImport.objects.filter(status__in=lost, updated_at__lt=keep_until(now)):
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
