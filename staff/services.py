"""Writes for people: the roles a member of staff holds (and the auth groups that follow them), absences,
deactivation, and handing a person's open work to others in one go.

A role is held twice over: as a `StaffRole` row (what govservice.access reads) and as membership of the
role's auth group (what the Django admin reads). Roles change only here, and every change brings the groups
along, so the two never disagree.

Absences, deactivation and reassignment are a leader's decision for the person's centre
(govservice.access.can_reassign_work), each recording a StaffEvent with who did it; work is never stranded:
a person who still owns open work cannot be deactivated until it is handed over (`OpenWorkRemains`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.masking import scrub
from govservice.roles import Role, group_name

from . import workload
from .models import Absence, SsoLogin, StaffEvent, StaffIdentity, StaffRole, User


def staff_groups_sync(
    *, user_ids: Iterable[int] | None = None, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Put each user (all of them when `user_ids` is None) in exactly the groups of their roles.

    Groups that stand for no role (made by a superuser for their own purposes) are left alone.
    Takes the app registry as an argument so that the data migration can pass its historical one.
    """
    group_model: Any = apps.get_model("auth", "Group")
    role_model: Any = apps.get_model("staff", "StaffRole")
    user_model: Any = apps.get_model("staff", "User")
    through: Any = user_model._meta.get_field("groups").remote_field.through
    group_ids = dict(
        group_model.objects.using(using).filter(name__in=[group_name(role) for role in Role]).values_list("name", "id")
    )
    roles = role_model.objects.using(using).all()
    members = through.objects.using(using).filter(group_id__in=group_ids.values())
    if user_ids is not None:
        ids = list(user_ids)
        roles, members = roles.filter(user_id__in=ids), members.filter(user_id__in=ids)
    wanted = {
        (user_id, group_ids[group_name(role)])
        for user_id, role in roles.values_list("user_id", "role")
        if group_name(role) in group_ids
    }
    held = {(row.user_id, row.group_id): row.pk for row in members.only("pk", "user_id", "group_id")}
    stale = [pk for pair, pk in held.items() if pair not in wanted]
    if stale:
        through.objects.using(using).filter(pk__in=stale).delete()
    through.objects.using(using).bulk_create(
        [through(user_id=user_id, group_id=group_id) for user_id, group_id in sorted(wanted - held.keys())]
    )


@transaction.atomic
def staff_role_grant(*, user: User, role: str) -> StaffRole:
    """Give a role (no-op when it is held) and bring the user's groups along."""
    row, _created = StaffRole.objects.get_or_create(user=user, role=role)
    staff_groups_sync(user_ids=[user.pk])
    user.__dict__.pop("role_set", None)
    return row


@transaction.atomic
def staff_roles_set(*, user: User, roles: Iterable[str], actor: User | None = None) -> User:
    """Make `roles` exactly the user's roles. With an `actor` (an administrator at work), every role
    given or taken must be one the actor may grant (govservice.access.can_grant_role)."""
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise ValidationFailed(_("未知角色：%(roles)s") % {"roles": "、".join(sorted(unknown))}, field="roles")
    held = set(StaffRole.objects.filter(user=user).values_list("role", flat=True))
    if actor is not None:
        for role in sorted(wanted ^ held):
            if not access.can_grant_role(actor, role):
                raise NotPermitted(_("无权授予或取消角色：%(role)s") % {"role": Role(role).label})
    StaffRole.objects.filter(user=user, role__in=held - wanted).delete()
    StaffRole.objects.bulk_create([StaffRole(user=user, role=role) for role in sorted(wanted - held)])
    staff_groups_sync(user_ids=[user.pk])
    user.__dict__.pop("role_set", None)
    return user


def role_groups_after_migrate(
    sender: object = None, *, using: str = DEFAULT_DB_ALIAS, apps: Apps = global_apps, **_kwargs: Any
) -> None:
    """The post_migrate hook: role groups and their permissions, then every user's memberships.

    Skipped while the accounts' tables are missing (a `migrate staff zero` emits the signal too)."""
    from django.db import connections

    from govservice.groups import role_groups_sync

    if StaffRole._meta.db_table not in connections[using].introspection.table_names():
        return
    role_groups_sync(apps=apps, using=using)
    staff_groups_sync(apps=apps, using=using)


# --- absence, leaving and reassignment ---------------------------------------------------------


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
    """Deactivate an account; refused while the person owns open work (nothing is left with nobody).

    Called by the people pages (a leader) and by the admin's account form (an administrator)."""
    person = User.objects.select_for_update().get(id=person.id)
    if not access.can_deactivate_account(
        actor, centre_id=person.centre_id, is_superuser=person.is_superuser, roles=person.role_set
    ):
        raise NotPermitted(_("只有本中心领导或管理员可以停用人员。"))
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


# --- Single sign-on (staff/sso.py) ---------------------------------------------------------------------


@transaction.atomic
def staff_identity_link(*, identity: StaffIdentity, issuer: str, actor: User) -> StaffIdentity:
    """Save an administrator's link of an account to an IdP subject, with who made it and when.

    The admin's inline form has checked the subject is free; the unique constraints hold it in the database.
    """
    identity.issuer = issuer
    identity.linked_by = actor
    identity.linked_at = timezone.now()
    identity.save()
    return identity


def sso_login_record(*, user: User | None, issuer: str, subject: str, outcome: str, address: str | None) -> SsoLogin:
    """One line of the single sign-on record: who (if anyone), which subject, let in or why not, from where."""
    return SsoLogin.objects.create(
        user=user, issuer=issuer, subject=subject[:255], outcome=outcome, address=address or None
    )
