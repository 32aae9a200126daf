from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "development"
    verbose_name = _("队伍建设")

    def ready(self) -> None:
        from .workload import register_providers

        register_providers()

        # A month whose service-star scores are locked takes no back-dated channel records (govservice.periods).
        from govservice.periods import register_month_lock

        from .scoring.locks import scores_locked

        register_month_lock("service-star-scores", scores_locked)

        # A year of the working calendar saved (govservice.calendar_year) moves open follow-ups' deadlines.
        from govservice.calendar_hooks import register_deadline_kind

        from .scoring.calendar import follow_up_deadlines_recompute

        register_deadline_kind("score_follow_up", _("末位跟进期限"), follow_up_deadlines_recompute)

        # A complaint's verdict changed: its month, if not yet locked, is computed again (points back or taken).
        from complaints.signals import complaint_verdict_changed

        from .scoring.refresh import on_complaint_verdict_changed

        complaint_verdict_changed.connect(on_complaint_verdict_changed, dispatch_uid="development-verdict-refresh")

        # A month's HR table as a background Excel export (govservice/exports).
        from .exports import register_exports

        register_exports()
