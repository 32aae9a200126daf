"""The case figures, one definition each (govservice.metrics): registered in CasesConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.metrics import NOW, Metric, register

from .models import Case
from .selectors import case_list_for


def cases_overdue(user: Any) -> QuerySet[Case]:
    """Cases past their current deadline (the promised date while handled, the correction deadline while awaited)."""
    return case_list_for(user=user, overdue=True)


def corrections_due_today(user: Any) -> QuerySet[Case]:
    """Cases waiting for missing materials whose correction deadline is today (the reminder calls' day)."""
    return case_list_for(user=user).filter(
        status=Case.Status.AWAITING_CORRECTION, correction_deadline=timezone.localdate()
    )


def register_metrics() -> None:
    register(Metric("cases_overdue", _("已超过当前期限的办件"), NOW, cases_overdue, "cases:case-list"))
    register(
        Metric(
            "corrections_due_today", _("今天到补正期限的容缺受理办件"), NOW, corrections_due_today, "cases:case-list"
        )
    )
