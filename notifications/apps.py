from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from staff.workload import work_reassigned

        from .exports import register_exports
        from .services.notices import on_work_reassigned

        register_exports()

        work_reassigned.connect(on_work_reassigned, dispatch_uid="notifications.on_work_reassigned")

        # The outbox's figure, one definition (govservice.metrics).
        from .metrics import register_metrics

        register_metrics()
