# Centre and Department moved to `govservice` (issue 13). Their tables stay
# (db_table in govservice.models), so this only repoints staff's own foreign keys
# and drops the two models from staff's model state, after every other app has
# repointed its keys (the dependencies below). Their content types move too, so
# admin log entries and any permission granted on them follow the models instead
# of being orphaned.

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MODELS = ("centre", "department")


def _move_content_types(apps: StateApps, *, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # `migrate` creates missing content types after the run (post_migrate), but a
        # database that already ran once with the new code, or a flush, may hold the
        # target row already: then the old row's grants and log entries move to it and
        # the old row goes, since (app_label, model) is unique.
        source = content_type.objects.filter(app_label=old, model=model).first()
        if source is None:
            continue
        target = content_type.objects.filter(app_label=new, model=model).first()
        if target is None:
            source.app_label = new
            source.save(update_fields=["app_label"])
            continue
        permission = apps.get_model("auth", "Permission")
        for old_permission in permission.objects.filter(content_type=source):
            twin = permission.objects.filter(content_type=target, codename=old_permission.codename).first()
            if twin is None:
                old_permission.content_type = target
                old_permission.save(update_fields=["content_type"])
                continue
            twin.group_set.add(*old_permission.group_set.all())
            twin.user_set.add(*old_permission.user_set.all())
            old_permission.delete()
        apps.get_model("admin", "LogEntry").objects.filter(content_type=source).update(content_type=target)
        source.delete()


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move_content_types(apps, old="staff", new="govservice")


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _move_content_types(apps, old="govservice", new="staff")


class Migration(migrations.Migration):
    dependencies = [
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("govservice", "0002_centre_department"),
        ("staff", "0004_move_development_models"),
        # Every app's foreign keys to Centre/Department point at govservice first,
        # so that deleting staff's models below leaves no key dangling in the state.
        ("cases", "0006_centre_department_in_govservice"),
        ("complaints", "0006_centre_department_in_govservice"),
        ("development", "0003_centre_department_in_govservice"),
        ("intake", "0003_centre_department_in_govservice"),
        ("knowledge", "0005_centre_department_in_govservice"),
        ("notifications", "0008_centre_department_in_govservice"),
        ("rectification", "0003_centre_department_in_govservice"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="window",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="windows",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="window",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="windows",
                        to="govservice.department",
                        verbose_name="部门",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="centre",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="staff",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="user",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="staff",
                        to="govservice.department",
                        verbose_name="部门",
                    ),
                ),
                # Department first: it holds a key to Centre.
                migrations.DeleteModel(name="Department"),
                migrations.DeleteModel(name="Centre"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
