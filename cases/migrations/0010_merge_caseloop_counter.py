from django.db import migrations


def reinstall_day_count_triggers(apps, schema_editor):
    """The counter's new column may rebuild the case table on SQLite, dropping its triggers (the dashboard's
    day counts, govservice/rollups.py): put them back once both branches have run. Idempotent."""
    from govservice import rollups

    rollups.install(schema_editor.connection, rollups.CASES)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_caseloop_rating_link_and_sms"),
        ("cases", "0009_counter_case_search"),
    ]

    operations = [
        migrations.RunPython(reinstall_day_count_triggers, migrations.RunPython.noop),
    ]
