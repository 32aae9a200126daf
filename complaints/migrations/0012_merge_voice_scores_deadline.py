from django.db import migrations


def reinstall_day_count_triggers(apps, schema_editor):
    """The branches merged here each altered the complaint table; on SQLite an alteration may rebuild the
    table and drop its triggers (the dashboard's day counts, govservice/rollups.py) whichever ran last.
    Put them back (and the evaluation table's, which voice altered) once all three have run; on PostgreSQL this replaces them with identical ones."""
    from govservice import rollups

    rollups.install(schema_editor.connection, rollups.COMPLAINTS)
    rollups.install(schema_editor.connection, rollups.EVALUATIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_deadline_fill_reply_due"),
        ("complaints", "0011_merge_voice_scores"),
    ]

    operations = [
        migrations.RunPython(reinstall_day_count_triggers, migrations.RunPython.noop),
    ]
