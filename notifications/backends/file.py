"""Appends one JSON line per message to `<SMS_FILE_PATH>/sms.jsonl` (or to SMS_FILE_PATH if it ends in .jsonl).

Fault tests count these lines: one line is one hand-over to the "provider".
The number is written masked, the rest in full. A batch is written with one
write() call, so a batch costs one open and one write however many lines it has.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .base import BaseSmsBackend, OutgoingSms, SendOutcome, SmsTransientError


def outbox_file(path: str | os.PathLike[str] | None = None) -> Path:
    target = Path(path or settings.SMS_FILE_PATH)
    return target if target.suffix == ".jsonl" else target / "sms.jsonl"


class FileBackend(BaseSmsBackend):
    batch_size = 1000
    can_reconcile = True
    settle_after_seconds = 30  # one local write()

    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = outbox_file(file_path)
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(f"SMS_FILE_PATH {self.file.parent} cannot be created: {exc}") from exc

    def send(self, sms: OutgoingSms) -> str:
        outcome = self.send_batch([sms])[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def send_batch(self, messages: Sequence[OutgoingSms]) -> list[SendOutcome]:
        """All lines in one write() on an O_APPEND descriptor: lines from several worker processes never interleave.

        Should the disk fill up half-way, the lines written in full are sent
        and the rest fail as transient (tried again later); a torn last line is
        not counted as sent.
        """
        if not messages:
            return []
        at = timezone.now().isoformat()
        ids = [self.new_message_id("file") for _ in messages]
        lines = [
            (json.dumps({"provider_message_id": i, "at": at, **sms.as_log_dict()}, ensure_ascii=False) + "\n").encode()
            for i, sms in zip(ids, messages, strict=True)
        ]
        data = b"".join(lines)
        written = 0
        error: Exception | None = None
        try:
            fd = os.open(self.file, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)  # read: the last byte
        except OSError as exc:
            return [SmsTransientError(f"cannot open {self.file.name}: {exc}") for _ in messages]
        # A crash tore the file's last line: start on a line of our own, or our first line is glued to it.
        lead = b"\n" if _ends_torn(fd) else b""
        data = lead + data
        try:
            while written < len(data):
                n = os.write(fd, data[written:])
                if n <= 0:
                    raise OSError("write returned 0")
                written += n
        except OSError as exc:
            error = SmsTransientError(f"cannot write {self.file.name}: {exc}")
        finally:
            os.close(fd)
        written -= len(lead)
        outcomes: list[SendOutcome] = []
        end = 0
        for message_id, line in zip(ids, lines, strict=True):
            end += len(line)
            outcomes.append(message_id if end <= written else (error or SmsTransientError("not written")))
        return outcomes

    def received(self, out_ids: Sequence[str]) -> dict[str, str]:
        """The lines already in the file for these out_ids, with their provider ids (one read through the file).

        The reaper asks this after a worker died between writing a batch and
        recording it: what is in the file went out and is not written again. A
        line torn by a crash does not count (send_batch never reported it sent).
        """
        wanted = set(out_ids)
        found: dict[str, str] = {}
        if not wanted or not self.file.exists():
            return found
        try:
            with self.file.open("rb") as handle:
                for raw in handle:
                    match = _OUT_ID.search(raw)  # a cheap filter: most lines are other messages
                    if match is None or match.group(1).decode() not in wanted:
                        continue
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        continue  # torn
                    if line.get("out_id") in wanted:
                        found[line["out_id"]] = line["provider_message_id"]
        except OSError as exc:
            raise SmsTransientError(f"cannot read {self.file.name}: {exc}") from exc
        return found


def _ends_torn(fd: int) -> bool:
    """Whether the file's last byte is not a newline (a write cut short by a crash)."""
    try:
        size = os.fstat(fd).st_size
        return size > 0 and os.pread(fd, 1, size - 1) != b"\n"
    except OSError:
        return False


# Lines are json.dumps() of as_log_dict(): `"out_id": "<message id>-<attempt>"`.
_OUT_ID = re.compile(rb'"out_id": "([0-9A-Za-z_-]+)"')

SmsBackend = FileBackend
