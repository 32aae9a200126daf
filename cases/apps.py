from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from .workload import register_providers

        register_providers()
