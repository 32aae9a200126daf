from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovserviceConfig(AppConfig):
    # The project package is an app only so that its templates tags, static
    # files and cross-cutting management commands are found; it has no models.
    name = "govservice"
    verbose_name = _("政务服务中心")

    def ready(self) -> None:
        # The work calendar is cached (govservice.workdays): dropped whenever the calendar changes.
        from .workdays import connect_invalidation

        connect_invalidation()
