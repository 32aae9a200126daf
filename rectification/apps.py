from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("整改台账")

    def ready(self) -> None:
        from .workload import register_providers

        register_providers()
