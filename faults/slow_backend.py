"""A file backend that takes SMS_SLOW_SECONDS to send: a send task that outlives the broker's
visibility timeout (fault test only; never configured outside faults/run.py)."""

from __future__ import annotations

import os
import time

from notifications.backends.file import FileBackend


class SlowFileBackend(FileBackend):
    def send_batch(self, messages):  # type: ignore[no-untyped-def]
        # One slow provider round per batch: the outbox hands a batch over through send_batch().
        time.sleep(float(os.environ.get("SMS_SLOW_SECONDS", "8")))
        return super().send_batch(messages)


SmsBackend = SlowFileBackend
