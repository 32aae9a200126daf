# Merges the lean indexes (0013/0014) with the 12345 work orders (0013_hotline_work_orders).

from django.db import migrations


def reinstall_day_count_triggers(apps, schema_editor):
    """SQLite rebuilds a table to alter a column and drops its triggers with it; whichever of the two branches
    ran last, the complaint and evaluation day-count triggers (govservice/rollups.py) are installed again.
    On PostgreSQL they are untouched; reinstalling is idempotent."""
    from govservice import rollups

    rollups.install(schema_editor.connection, rollups.EVALUATIONS)
    rollups.install(schema_editor.connection, rollups.COMPLAINTS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0013_hotline_work_orders"),
        ("complaints", "0014_lean_complaint_indexes"),
    ]

    operations = [
        migrations.RunPython(reinstall_day_count_triggers, migrations.RunPython.noop),
    ]
