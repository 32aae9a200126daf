"""A file backend whose worker process dies right after the first hand-over (for the crash drill).

It writes the lines first — the provider has the messages — and then kills the
process before the outbox rows can say SENT: the worst moment for a crash.
"""

from __future__ import annotations

import os
from pathlib import Path

from notifications.backends.file import FileBackend


class DieOnceAfterHandOverBackend(FileBackend):
    settle_after_seconds = 0  # the write is done before the process dies: nothing left under way

    def send_batch(self, messages):
        outcomes = super().send_batch(messages)
        marker = Path(self.file.parent, "died-once")
        if not marker.exists():
            marker.write_text("1")
            os._exit(1)  # like SIGKILL: no cleanup, no exception handlers
        return outcomes
