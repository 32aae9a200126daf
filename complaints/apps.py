from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("评价与投诉")

    def ready(self) -> None:
        from . import ledger_hooks

        ledger_hooks.connect()

        # The admin's outbox links a message to its complaint or bad review.
        from . import sms_subjects

        sms_subjects.connect()
