"""Roles become auth groups with the permissions govservice.roles gives them, and every user joins
the groups of their roles. Re-run safe: the same two functions run after every `migrate`."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from govservice.groups import role_groups_sync
    from staff.services import staff_groups_sync

    using = schema_editor.connection.alias
    role_groups_sync(apps=apps, using=using)
    staff_groups_sync(apps=apps, using=using)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("staff", "0005_move_centre_department_to_govservice"),
        ("govservice", "0002_centre_department"),
        ("cases", "0006_centre_department_in_govservice"),
        ("complaints", "0006_centre_department_in_govservice"),
        ("intake", "0003_centre_department_in_govservice"),
        ("knowledge", "0005_centre_department_in_govservice"),
        ("notifications", "0008_centre_department_in_govservice"),
        ("development", "0003_centre_department_in_govservice"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
