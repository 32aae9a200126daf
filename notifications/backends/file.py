"""Appends one JSON line per message to `<SMS_FILE_PATH>/sms.jsonl` (or to SMS_FILE_PATH if it ends in .jsonl).

Fault tests count these lines: one line is one hand-over to the "provider".
The number is written masked, the rest in full.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .base import BaseSmsBackend, OutgoingSms


def outbox_file(path: str | os.PathLike[str] | None = None) -> Path:
    target = Path(path or settings.SMS_FILE_PATH)
    return target if target.suffix == ".jsonl" else target / "sms.jsonl"


class FileBackend(BaseSmsBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = outbox_file(file_path)
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file.parent} cannot be created: {exc}") from exc

    def send(self, sms: OutgoingSms) -> str:
        message_id = self.new_message_id("file")
        record = {"provider_message_id": message_id, "at": timezone.now().isoformat(), **sms.as_log_dict()}
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        # One write() on an O_APPEND descriptor: lines from several worker
        # processes never interleave.
        fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return message_id


SmsBackend = FileBackend
