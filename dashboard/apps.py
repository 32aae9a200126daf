from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("领导驾驶舱")

    def ready(self) -> None:
        from staff import home_notes

        from .inbox.items import inbox_home_notes

        home_notes.register("dashboard.inbox", inbox_home_notes)

        # The score appeals waiting on a leader (the bad-review appeals are complaints' figure).
        from .metrics import register_metrics

        register_metrics()
