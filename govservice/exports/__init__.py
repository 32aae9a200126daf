"""Exports in the background: every large Excel export is a Celery task with a progress state.

An app registers what it can export (`register`: a name, who may, the columns and a row stream);
`export_request` records who asked for what (and whether with full personal data: a logged reveal),
the task streams the rows into a write-only workbook (memory stays flat whatever the count), and
the person who asked downloads it with a token until it expires (EXPORT_KEEP_DAYS, then beat
deletes the file; the record stays).
"""

from __future__ import annotations

from .registry import ExportKind, Rows, get, kinds_for, register
from .services import export_download, export_request, export_run, exports_purge

__all__ = [
    "ExportKind",
    "Rows",
    "export_download",
    "export_request",
    "export_run",
    "exports_purge",
    "get",
    "kinds_for",
    "register",
]
