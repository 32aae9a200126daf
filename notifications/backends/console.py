"""Prints each message (number masked) to stdout: for development."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, TextIO

from .base import BaseSmsBackend, OutgoingSms


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, *args: Any, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send(self, sms: OutgoingSms) -> str:
        message_id = self.new_message_id("console")
        record = {"provider_message_id": message_id, **sms.as_log_dict()}
        with self._lock:
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self.stream.flush()
        return message_id


SmsBackend = ConsoleBackend
