"""File backends with a slow provider, for the fault tests only (never configured outside faults/run.py):
one that takes SMS_SLOW_SECONDS to send (a send task outliving the broker's visibility timeout), one that
pauses after the write (a kill lands between the hand-over and its record)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence

from notifications.backends.base import OutgoingSms, SendOutcome
from notifications.backends.file import FileBackend


class SlowFileBackend(FileBackend):
    # The reaper must not ask about a hand-over before this slow provider can have written it.
    settle_after_seconds = math.ceil(
        float(os.environ.get("SMS_SLOW_SECONDS", "8")) + 5
    )  # whole seconds, as FileBackend's

    def send_batch(self, messages: Sequence[OutgoingSms]) -> list[SendOutcome]:
        # One slow provider round per batch: the outbox hands a batch over through send_batch().
        time.sleep(float(os.environ.get("SMS_SLOW_SECONDS", "8")))
        return super().send_batch(messages)


class PauseAfterWriteFileBackend(FileBackend):
    """Writes the batch, then waits SMS_PAUSE_SECONDS before the outbox may record it: a kill -9 landing in
    that pause is the worst moment (the provider has the messages, the rows still say "sending")."""

    def send_batch(self, messages: Sequence[OutgoingSms]) -> list[SendOutcome]:
        outcomes = super().send_batch(messages)
        time.sleep(float(os.environ.get("SMS_PAUSE_SECONDS", "2")))
        return outcomes
