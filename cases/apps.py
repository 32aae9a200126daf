from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        # The admin's outbox links a message to its case (notifications sits below cases).
        from . import sms_subjects

        sms_subjects.connect()
