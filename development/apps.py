from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "development"
    verbose_name = _("队伍建设")

    def ready(self) -> None:
        from .workload import register_providers

        register_providers()
