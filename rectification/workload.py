"""The ledger's part of a person's open work (staff.workload): measures they are responsible for and have
not completed. Registered in RectificationConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from staff.models import User
from staff.workload import WorkItem, WorkProvider, register

from .models import Measure
from .services import measure_take_over


def _open_measures(person: User) -> list[WorkItem]:
    measures = Measure.objects.filter(owner=person, completed_at__isnull=True).select_related("problem")
    return [
        WorkItem(
            kind="measure",
            id=measure.id,
            label=f"{measure.problem.code} {measure}",
            url=measure.problem.get_absolute_url(),
            detail=str(_("整改时限 %(date)s") % {"date": measure.deadline.isoformat()}),
        )
        for measure in measures.order_by("deadline", "id")
    ]


def _take_over_measure(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    measure = measure_take_over(measure_id=item_id, from_user=from_user, to_user=to_user, actor=actor, reason=reason)
    return f"{measure.problem.code} {measure}"


def register_providers() -> None:
    register(
        WorkProvider(
            kind="measure", title=_("负责的整改措施"), open_work=_open_measures, reassign=_take_over_measure, order=50
        )
    )
