# The working calendar's models moved to `govservice` (issue 13). Their tables
# stay (db_table in govservice.models), so this only drops them from staff's
# model state, and moves their content types so that admin log entries and any
# permission granted on them follow the models instead of being orphaned.

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MODELS = ("workcalendarday", "workcalendaryear")


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
        ("govservice", "0001_initial"),
        ("staff", "0002_staff_development"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WorkCalendarDay"),
                migrations.DeleteModel(name="WorkCalendarYear"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
