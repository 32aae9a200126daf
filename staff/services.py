"""Writes for people: the roles a member of staff holds, and the auth groups that follow them.

A role is held twice over: as a `StaffRole` row (what govservice.access reads) and as
membership of the role's auth group (what the Django admin reads). Roles change only here,
and every change brings the groups along, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.roles import Role, group_name

from .models import StaffRole, User


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
