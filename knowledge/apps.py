from __future__ import annotations

import sys
import threading

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Processes that serve searches: they load jieba's dictionary (about a second) in the
# background at start, so the first search of the day is not the slow one.
SERVER_MARKERS = ("runserver", "gunicorn", "uvicorn", "daphne", "worker")


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("政策问答库")

    def ready(self) -> None:
        command_line = " ".join(sys.argv)
        if any(marker in command_line for marker in SERVER_MARKERS):
            from .segment import tokenizer

            threading.Thread(target=tokenizer, name="jieba-warmup", daemon=True).start()
