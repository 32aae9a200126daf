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

        # A year of the working calendar saved (govservice.calendar_year) moves these stored deadlines.
        from govservice.calendar_hooks import register_deadline_kind

        from .services.calendar import case_correction_deadlines_recompute, case_promised_dates_recompute

        register_deadline_kind("case_due", _("办件承诺办结日期"), case_promised_dates_recompute)
        register_deadline_kind(
            "case_correction", _("补正期限（含短信和电话提醒）"), case_correction_deadlines_recompute
        )

        from .workload import register_providers

        register_providers()

        # The case figures, one definition each (govservice.metrics).
        from .metrics import register_metrics

        register_metrics()
