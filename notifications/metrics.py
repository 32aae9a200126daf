"""The outbox's figure (govservice.metrics): registered in NotificationsConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from govservice.metrics import NOW, Metric, register

from .models import SmsMessage
from .selectors import sms_list_for


def register_metrics() -> None:
    register(
        Metric(
            "sms_failed",
            _("发送失败、需要跟进的短信"),
            NOW,
            lambda user: sms_list_for(user=user, status=SmsMessage.Status.FAILED),
            "notifications:sms-list",
        )
    )
