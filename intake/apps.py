from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    # The machine side of feedback: channel credentials, idempotent intake,
    # webhooks and the Open311 GeoReport v2 face. The records themselves live
    # in `complaints`; this app only receives and reports them.
    name = "intake"
    verbose_name = _("渠道接入")
