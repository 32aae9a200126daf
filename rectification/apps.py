from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    name = "rectification"
    verbose_name = _("整改台账")

    def ready(self) -> None:
        # A year of the working calendar saved (govservice.calendar_year) moves measures' deadlines.
        from govservice.calendar_hooks import register_deadline_kind

        from .calendar import measure_deadlines_recompute

        register_deadline_kind("ledger_measure", _("整改措施时限"), measure_deadlines_recompute)

        from .workload import register_providers

        register_providers()

        # The ledger's figures, one definition each (govservice.metrics).
        from .metrics import register_metrics

        register_metrics()

        # The ledger as a background Excel export (govservice/exports), in its round-trip layout.
        from .exports import register_exports

        register_exports()
