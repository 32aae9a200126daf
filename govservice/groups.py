"""The auth groups that stand for roles, with exactly the permissions govservice.roles gives them.

Run by the data migration `staff.0006_opsadmin_role_groups` and after every `migrate` (the
post_migrate hook connected in `StaffConfig.ready()`), so a new model's permissions, or a
permission taken out of `GROUP_PERMISSIONS`, reach the groups without anyone editing them by hand.
Safe to run any number of times. Takes the app registry as an argument so that a migration can
pass its historical one.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.db import DEFAULT_DB_ALIAS

from .roles import GROUP_PERMISSIONS, group_name


def _model_exists(apps: Apps, app_label: str, codename: str) -> bool:
    model_name = codename.split("_", 1)[1]
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True


def role_groups_sync(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Create the role groups and set their permissions; returns {group name: group id}."""
    # Permissions are created per app after that app migrates; a group naming a model of an app
    # migrated later needs them now.
    for config in global_apps.get_app_configs():
        create_permissions(config, verbosity=0, apps=apps, using=using)
    group_model: Any = apps.get_model("auth", "Group")
    permission_model: Any = apps.get_model("auth", "Permission")
    ids: dict[str, int] = {}
    for role, wanted in GROUP_PERMISSIONS.items():
        group, _created = group_model.objects.using(using).get_or_create(name=group_name(role))
        permissions = []
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".", 1)
            if not _model_exists(apps, app_label, codename):
                # A model newer than the migration that runs this (the data migration's historical
                # registry): its permission joins the group in the post_migrate run after every migrate.
                continue
            permission = (
                permission_model.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is None:
                raise LookupError(f"role group {group.name}: no permission {dotted} (a model renamed?)")
            permissions.append(permission)
        group.permissions.set(permissions)
        ids[group.name] = group.id
    return ids
