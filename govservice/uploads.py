"""Where uploaded import files wait for their task, and how they go.

An import file holds citizens' phone numbers in clear. It is written 0600 in a 0700 directory outside
MEDIA_ROOT (no URL serves it), read once by the import task, and deleted as soon as that task is done,
whatever the outcome. Each app's hourly sweep deletes what a killed task or a stray upload left behind
(`stray_files_delete`) and fails batches whose task was killed (`stale_before`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

# A batch still queued after IMPORT_FILE_KEEP_HOURS lost its task message: it fails, and its file goes.
QUEUE_EXPIRED = gettext_lazy("等待处理超时，文件已删除，未导入任何数据。请重新上传。")


class ImportFileStorage(FileSystemStorage):
    """Files 0600 in directories 0700 under IMPORT_FILES_ROOT, and no URL: an import file is never served."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        self._fixed_location: str | None = kwargs.get("location")
        super().__init__(**kwargs)

    @cached_property
    def base_location(self) -> str:
        # Read when first used, and again after a test changes the setting (FileSystemStorage's own
        # setting_changed handler clears this property).
        return str(self._fixed_location or settings.IMPORT_FILES_ROOT)

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "IMPORT_FILES_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        raise ValueError("import files have no URL")


def import_storage() -> Storage:
    """The `storage=` of every import FileField (a callable, so migrations name it rather than a path)."""
    return storages["imports"]


class ExportStorage(ImportFileStorage):
    """Export files: 0600 in EXPORT_FILES_ROOT, never served by URL (the download view streams them)."""

    @cached_property
    def base_location(self) -> str:
        return str(self._fixed_location or settings.EXPORT_FILES_ROOT)

    def _clear_cached_properties(self, setting: Any, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "EXPORT_FILES_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def export_storage() -> Storage:
    """The `storage=` of the export files (govservice/exports)."""
    return storages["exports"]


def upload_discard(file: FieldFile) -> None:
    """Delete an import file now. A file already gone is not an error: the sweep may have been first."""
    if file and file.name:
        try:
            file.storage.delete(file.name)
        except OSError:
            logger.exception("could not delete import file %s", file.name)


def stale_before(now: datetime | None = None) -> datetime:
    """A batch still running that was claimed before this was killed at the hard time limit."""
    return (now or timezone.now()) - timedelta(seconds=settings.IMPORT_TASK_TIME_LIMIT + 300)


def keep_until(now: datetime | None = None) -> datetime:
    """Files older than this are no longer kept for anything (IMPORT_FILE_KEEP_HOURS)."""
    return (now or timezone.now()) - timedelta(hours=settings.IMPORT_FILE_KEEP_HOURS)


def stray_files_delete(
    *, prefix: str, keep: Iterable[str] = (), now: datetime | None = None, storage: Storage | None = None
) -> int:
    """Delete files under `prefix` in the import storage that no live batch names and that are older than
    IMPORT_FILE_KEEP_HOURS (a younger one may belong to a batch being saved right now).

    `storage=default_storage` sweeps where import files were kept before (MEDIA_ROOT, 0644, 30 days).
    """
    storage = storage or import_storage()
    keep = set(keep)
    cutoff = keep_until(now)
    count = 0
    pending = [prefix.rstrip("/")]
    while pending:
        folder = pending.pop()
        try:
            directories, files = storage.listdir(folder)
        except FileNotFoundError:
            continue
        pending.extend(f"{folder}/{d}" for d in directories)
        for name in files:
            path = f"{folder}/{name}"
            if path in keep:
                continue
            try:
                if storage.get_modified_time(path) >= cutoff:
                    continue
                storage.delete(path)
            except FileNotFoundError:
                continue
            count += 1
    return count
