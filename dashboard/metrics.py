"""The dashboard's own figure (govservice.metrics): the score appeals waiting on this leader, counted where
the leader decides them (the inbox, `?metric=appeals_pending` shows exactly those rows)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from govservice.metrics import NOW, Metric, register


def register_metrics() -> None:
    from .inbox.items import appeals_waiting_on

    register(
        Metric(
            "appeals_pending",
            _("待您复核的服务之星评分申诉"),
            NOW,
            lambda user: appeals_waiting_on(user),
            "dashboard:inbox",
        )
    )
