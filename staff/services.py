"""Writes for people: absences, deactivation, and handing a person's open work to others in one go.

Every write here is a leader's decision for the person's centre (govservice.access.can_reassign_work),
records a StaffEvent with who did it, and never strands work: a person who still owns open work
cannot be deactivated until it is handed over (`OpenWorkRemains`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.masking import scrub

from . import workload
from .models import Absence, StaffEvent, User


class OpenWorkRemains(Conflict):
    """The person still owns open work: hand it over first (the view sends the leader to that page)."""

    default_message = gettext_lazy("该人员仍有未办结的工作，请先转交。")


def _require_leader(actor: User, person: User) -> None:
    if not access.can_reassign_work(actor, person.centre_id):
        raise NotPermitted(_("只有本中心领导可以登记缺勤、停用人员或转交其工作。"))


@transaction.atomic
def absence_record(*, person: User, starts_on: date, ends_on: date, reason: str, actor: User) -> Absence:
    _require_leader(actor, person)
    if ends_on < starts_on:
        raise ValidationFailed(_("结束日期不能早于开始日期。"), field="ends_on")
    reason = scrub((reason or "").strip())[:200]
    absence = Absence.objects.create(user=person, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor)
    StaffEvent.objects.create(
        user=person,
        kind=StaffEvent.Kind.ABSENCE,
        actor=actor,
        note=f"{starts_on.isoformat()} – {ends_on.isoformat()} {reason}".strip(),
    )
    return absence


@transaction.atomic
def staff_deactivate(*, person: User, actor: User, note: str = "") -> User:
    """Deactivate an account; refused while the person owns open work (nothing is left with nobody)."""
    _require_leader(actor, person)
    person = User.objects.select_for_update().get(id=person.id)
    if person.id == actor.id:
        raise ValidationFailed(_("不能停用自己的账号。"), field="person")
    if not person.is_active:
        return person  # a repeated request is a no-op
    if workload.has_open_work(person):
        raise OpenWorkRemains()
    person.is_active = False
    person.save(update_fields=["is_active"])
    StaffEvent.objects.create(
        user=person, kind=StaffEvent.Kind.DEACTIVATED, actor=actor, note=scrub(note.strip())[:300]
    )
    return person


@transaction.atomic
def work_reassign(
    *, person: User, to_user: User, actor: User, reason: str, items: Iterable[tuple[str, int]]
) -> list[StaffEvent]:
    """Hand the chosen items of `person`'s open work to `to_user`, all or nothing.

    Each provider's service writes the item's own history line; here one StaffEvent per item records
    who moved what to whom and why; after commit the new owner is told once, with the whole list.
    """
    _require_leader(actor, person)
    reason = scrub((reason or "").strip())
    if not reason:
        raise ValidationFailed(_("请写明转交理由。"), field="reason")
    if to_user.id == person.id or not to_user.is_active or to_user.centre_id != person.centre_id:
        raise ValidationFailed(_("请选择本中心另一名在岗人员。"), field="to_user")
    chosen = list(dict.fromkeys(items))
    if not chosen:
        raise ValidationFailed(_("请至少选择一项工作。"), field="items")
    events = []
    for kind, item_id in chosen:
        provider = workload.provider(kind)
        if provider is None:
            raise ValidationFailed(_("工作类型无效。"), field="items")
        label = provider.reassign(item_id=item_id, from_user=person, to_user=to_user, actor=actor, reason=reason)
        events.append(
            StaffEvent.objects.create(
                user=person,
                kind=StaffEvent.Kind.REASSIGNED,
                actor=actor,
                to_user=to_user,
                item_kind=kind,
                item_id=item_id,
                item_label=f"{provider.title}：{label}"[:200],
                note=reason[:300],
            )
        )
    labels = [event.item_label for event in events]
    transaction.on_commit(
        lambda: workload.work_reassigned.send(
            sender=StaffEvent,
            person=person,
            to_user=to_user,
            actor=actor,
            reason=reason,
            labels=labels,
            key=f"work-reassigned:{events[0].id}",
        )
    )
    return events
