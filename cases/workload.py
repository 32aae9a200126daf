"""The cases' part of a person's open work (staff.workload): cases they handle, hand-over offers waiting
for them. Registered in CasesConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from staff.models import User
from staff.workload import WorkItem, WorkProvider, register

from .models import CLOSED_STATUSES, Case, Handover
from .services import case_handover_redirect, case_reassign


def _open_cases(person: User) -> list[WorkItem]:
    cases = Case.objects.filter(handler=person).exclude(status__in=CLOSED_STATUSES).select_related("matter_type")
    return [
        WorkItem(
            kind="case",
            id=case.id,
            label=case.tracking_no,
            url=case.get_absolute_url(),
            detail=f"{case.matter_type} · {case.get_status_display()}",
        )
        for case in cases.order_by("created_at")
    ]


def _reassign_case(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    return case_reassign(case_id=item_id, from_user=from_user, to_user=to_user, actor=actor, reason=reason).tracking_no


def _open_offers(person: User) -> list[WorkItem]:
    offers = Handover.objects.filter(to_user=person, state=Handover.State.OFFERED).select_related("case", "from_user")
    return [
        WorkItem(
            kind="handover",
            id=offer.id,
            label=offer.case.tracking_no,
            url=offer.case.get_absolute_url(),
            detail=str(_("%(from)s 转交：%(reason)s") % {"from": offer.from_user, "reason": offer.reason}),
        )
        for offer in offers.order_by("offered_at")
    ]


def _redirect_offer(*, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
    offer = case_handover_redirect(
        handover_id=item_id, from_user=from_user, to_user=to_user, actor=actor, reason=reason
    )
    return offer.case.tracking_no


def register_providers() -> None:
    register(WorkProvider(kind="case", title=_("承办的办件"), open_work=_open_cases, reassign=_reassign_case, order=10))
    register(
        WorkProvider(
            kind="handover", title=_("待接收的转交"), open_work=_open_offers, reassign=_redirect_offer, order=20
        )
    )
