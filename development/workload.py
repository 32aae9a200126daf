"""Development's part of a person's open work (staff.workload): the mentees of a mentor. Registered in
DevelopmentConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from staff.models import User
from staff.workload import WorkItem, WorkProvider, register

from .models import MentorPairing
from .services import mentor_pairing_take_over


def _open_mentees(person: User) -> list[WorkItem]:
    pairings = MentorPairing.objects.filter(mentor=person, ended_on__isnull=True).select_related("mentee")
    return [
        WorkItem(
            kind="mentee",
            id=pairing.id,
            label=str(pairing.mentee),
            detail=str(_("结对日期 %(date)s") % {"date": pairing.started_on.isoformat()}),
        )
        for pairing in pairings.order_by("slot")
    ]


def _take_over_mentee(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    pairing = mentor_pairing_take_over(pairing_id=item_id, from_user=from_user, to_user=to_user, actor=actor)
    return str(pairing.mentee)


def register_providers() -> None:
    register(
        WorkProvider(
            kind="mentee", title=_("带教的学员"), open_work=_open_mentees, reassign=_take_over_mentee, order=60
        )
    )
