"""Asking for an export, making it in the background, downloading it, and deleting it when it expires."""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from govservice.exceptions import NotFound, NotPermitted, ValidationFailed
from govservice.masking import scrub
from govservice.models import ExportJob
from govservice.replica import use_replica

from .registry import Rows, get

logger = logging.getLogger("govservice.exports")

# Rows written between two progress updates (one UPDATE each).
PROGRESS_EVERY = 500
# Characters of a parameter value kept (the filters of a list page).
PARAM_MAX = 100


def _clean_params(params: Mapping[str, str]) -> dict[str, str]:
    return {str(k)[:40]: str(v)[:PARAM_MAX] for k, v in params.items() if v not in (None, "")}


@transaction.atomic
def export_request(*, user: Any, kind: str, params: Mapping[str, str], reveal: bool = False) -> ExportJob:
    """Record who asked for what and queue the task; with `reveal`, a logged reveal of personal data."""
    spec = get(kind)
    if spec is None or not spec.allowed(user):
        raise NotFound(_("没有这项导出。"))
    if reveal and (spec.may_reveal is None or not spec.may_reveal(user)):
        raise NotPermitted(_("您无权导出完整的个人信息；导出文件中的手机号和身份证号将脱敏。"))
    clean = _clean_params(params)
    title = spec.title(clean) if spec.title else str(spec.label)
    job = ExportJob.objects.create(
        kind=kind,
        params=clean,
        title=title[:200],
        requested_by=user,
        revealed=reveal,
        language=translation.get_language() or "",
        token=secrets.token_urlsafe(24),
        expires_at=timezone.now() + timedelta(days=settings.EXPORT_KEEP_DAYS),
    )
    if reveal:
        logger.warning("export %s (%s) with full personal data asked for by user %s", job.id, kind, user.id)
    from govservice.tasks import export_run_task

    transaction.on_commit(lambda: export_run_task.delay(job.id))
    return job


def _progress(job_id: int, done: int) -> None:
    ExportJob.objects.filter(id=job_id).update(rows_done=done)


_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TOP_WRAPPED = Alignment(vertical="top", wrap_text=True)


def _cell(sheet: WriteOnlyWorksheet, value: Any, *, font: Font | None = None, align: Alignment | None = None) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if font is not None:
        cell.font = font
    if align is not None:
        cell.alignment = align
    return cell


def _write(workbook: Workbook, content: Rows, *, sheet_name: str, job_id: int) -> int:
    """The rows into a write-only sheet (each row goes to disk as it is appended); the layout is set first,
    as a streamed sheet writes its columns, panes and merged title before its rows. Returns the rows written."""
    sheet = workbook.create_sheet(title=(content.sheet_name or sheet_name)[:31])
    for index, width in enumerate(content.widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    header_row = 2 if content.title else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    if content.landscape:
        sheet.page_setup.orientation = "landscape"
        sheet.print_title_rows = f"{header_row}:{header_row}"
    if content.title:
        sheet.merged_cells.add(f"A1:{get_column_letter(max(1, len(content.headers)))}1")
        sheet.append([_cell(sheet, content.title, font=_TITLE_FONT, align=Alignment(horizontal="center"))])
    header_align = _CENTRED if content.wrap else None
    sheet.append([_cell(sheet, str(h), font=_BOLD, align=header_align) for h in content.headers])
    done = 0
    for row in content.rows:
        if content.wrap:
            sheet.append([_cell(sheet, value, align=_TOP_WRAPPED) for value in row])
        else:
            sheet.append(list(row))
        done += 1
        if done % PROGRESS_EVERY == 0:
            _progress(job_id, done)
    return done


def export_run(job_id: int) -> ExportJob:
    """Make the file: rows streamed into a write-only workbook on disk, then stored (memory stays flat)."""
    claimed = ExportJob.objects.filter(id=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING
    )
    job = ExportJob.objects.select_related("requested_by").get(id=job_id)
    if not claimed:
        return job  # already made (a repeated message) or expired
    spec = get(job.kind)
    try:
        if spec is None:
            raise ValidationFailed(_("没有这项导出。"))
        # The rows are read on the replica when there is one (the job's own row and its progress: the primary).
        with translation.override(job.language or settings.LANGUAGE_CODE), use_replica():
            content = spec.rows(job.requested_by, job.params, job.revealed)
            ExportJob.objects.filter(id=job.id).update(rows_total=content.count)
            workbook = Workbook(write_only=True)
            done = _write(workbook, content, sheet_name=str(spec.label), job_id=job.id)
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)
            handle.seek(0)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            name = f"{slugify(job.kind) or 'export'}-{stamp}.xlsx"
            job.file.save(name, File(handle), save=False)
        job.rows_done, job.status, job.finished_at = done, ExportJob.Status.DONE, timezone.now()
        job.save(update_fields=["file", "rows_done", "status", "finished_at"])
    except Exception as exc:
        logger.exception("export %s (%s) failed", job.id, job.kind)
        message = exc.message if isinstance(exc, ValidationFailed) else _("生成文件时出错，请稍后重试或联系管理员。")
        ExportJob.objects.filter(id=job.id).update(
            status=ExportJob.Status.FAILED, error=scrub(str(message))[:300], finished_at=timezone.now()
        )
        job.refresh_from_db()
    return job


def export_download(*, user: Any, job_id: int, token: str) -> ExportJob:
    """The finished file, for the person who asked, with the job's token, before it expires."""
    job = ExportJob.objects.filter(id=job_id, requested_by=user).first()
    if job is None or not secrets.compare_digest(job.token, token or ""):
        raise NotFound(_("未找到该导出文件。"))
    if job.status == ExportJob.Status.EXPIRED or job.expires_at <= timezone.now():
        raise NotFound(_("该导出文件已过期并已删除，请重新导出。"))
    if job.status != ExportJob.Status.DONE or not job.file:
        raise NotFound(_("文件尚未生成完毕。"))
    ExportJob.objects.filter(id=job.id).update(downloaded_at=timezone.now())
    logger.info("export %s downloaded by user %s (full personal data: %s)", job.id, user.id, job.revealed)
    return job


def exports_purge(now: datetime | None = None) -> int:
    """Delete the files of expired exports (beat, hourly); the records stay as the audit of who exported what."""
    now = now or timezone.now()
    purged = 0
    expired = ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportJob.Status.EXPIRED)
    for job in expired.iterator():
        if job.file:
            job.file.delete(save=False)
        ExportJob.objects.filter(id=job.id).update(status=ExportJob.Status.EXPIRED, file="")
        purged += 1
    return purged
