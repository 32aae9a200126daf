from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("评价与投诉")

    def ready(self) -> None:
        from . import ledger_hooks

        ledger_hooks.connect()

        from .workload import register_providers

        register_providers()

        from staff import home_notes

        from .rota import rota_home_notes

        home_notes.register("complaints.rota", rota_home_notes)
