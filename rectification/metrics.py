"""The ledger's figures, one definition each (govservice.metrics): registered in RectificationConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.metrics import NOW, Metric, register
from staff.selectors import scope_to_user

from .models import Measure, Problem


def problems_in_scope(user: Any) -> QuerySet[Problem]:
    return scope_to_user(Problem.objects.all(), user)


def measures_in_scope(user: Any) -> QuerySet[Measure]:
    return scope_to_user(Measure.objects.all(), user, centre_field="problem__centre")


def measures_overdue(user: Any) -> QuerySet[Measure]:
    """Measures not completed and past their deadline, of problems not closed (销号)."""
    return (
        measures_in_scope(user)
        .filter(completed_at__isnull=True, deadline__lt=timezone.localdate())
        .exclude(problem__status=Problem.Status.CLOSED)
    )


def register_metrics() -> None:
    register(
        Metric(
            "ledger_problems_open",
            _("台账中尚未销号的问题"),
            NOW,
            lambda user: problems_in_scope(user).exclude(status=Problem.Status.CLOSED),
            "rectification:ledger",
        )
    )
    register(
        Metric(
            "closeouts_pending",
            _("已申请销号、待验收的问题"),
            NOW,
            lambda user: problems_in_scope(user).filter(status=Problem.Status.CLOSE_OUT_APPLIED),
            "rectification:ledger",
        )
    )
    register(
        Metric(
            "ledger_measures_overdue",
            _("逾期整改措施（未完成且已过时限，所属问题未销号）"),
            NOW,
            measures_overdue,
            "rectification:measure-list",
            centre_field="problem__centre",
        )
    )
