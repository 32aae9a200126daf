from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovserviceConfig(AppConfig):
    # The core app: the project package, plus what every other app may use (the
    # working calendar's models, access rules, crypto, masking, shared UI).
    name = "govservice"
    verbose_name = _("政务服务中心")

    def ready(self) -> None:
        # `check --deploy`: sessions and the cache shared by every worker and web node (govservice/checks.py).
        from . import checks  # noqa: F401

        # The work calendar is cached (govservice.workdays): dropped whenever the calendar changes.
        from .workdays import connect_invalidation

        connect_invalidation()
        # A save naming a sealed free-text field must save its encrypted original too (govservice.sealed).
        from .sealed import connect_guard

        connect_guard()

        # Failed logins counted per client address, across usernames (govservice.login_limits).
        from django.contrib.auth.signals import user_login_failed

        from .login_limits import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="govservice-login-failed-per-address")

        # The idle timeout's clock starts at login (govservice.idle).
        from django.contrib.auth.signals import user_logged_in

        from .idle import on_logged_in

        user_logged_in.connect(on_logged_in, dispatch_uid="govservice-idle-clock-at-login")
