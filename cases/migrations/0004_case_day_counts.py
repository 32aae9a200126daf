"""Day counts of cases for the leader dashboard, kept by triggers (govservice/rollups.py), filled here."""

import django.db.models.deletion
from django.db import migrations, models


def install_and_fill(apps, schema_editor):
    from govservice import rollups

    rollups.rebuild(rollups.CASES, using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from govservice import rollups

    rollups.uninstall(schema_editor.connection, rollups.CASES)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_case_current_deadline'),
        ('staff', '0002_staff_development'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseDayCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('is_elderly', models.BooleanField()),
                ('is_disabled', models.BooleanField()),
                ('is_other_special', models.BooleanField()),
                ('shard', models.PositiveSmallIntegerField(db_default=0)),
                ('n', models.IntegerField()),
                ('centre', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.centre')),
                ('matter_type', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.mattertype')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('centre', 'day', 'matter_type', 'is_elderly', 'is_disabled', 'is_other_special', 'shard'), name='case_day_count_key')],
            },
        ),
        migrations.RunPython(install_and_fill, uninstall),
    ]
