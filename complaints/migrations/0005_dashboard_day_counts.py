"""Day counts of evaluations and complaints for the leader dashboard, kept by triggers (govservice/rollups.py).

The triggers are installed for the current TIME_ZONE and the counts filled from the existing
rows in the same migration (on PostgreSQL each source table is locked against writes
meanwhile: about a second per million rows here).
"""

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


def install_and_fill(apps, schema_editor):
    from govservice import rollups

    for rollup in (rollups.EVALUATIONS, rollups.COMPLAINTS):
        rollups.rebuild(rollup, using=schema_editor.connection.alias)


def uninstall(apps, schema_editor):
    from govservice import rollups

    for rollup in (rollups.EVALUATIONS, rollups.COMPLAINTS):
        rollups.uninstall(schema_editor.connection, rollup)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0004_evaluation_centre_rated_covering_index'),
        ('staff', '0002_staff_development'),
    ]

    operations = [
        migrations.CreateModel(
            name='ComplaintDayCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('category', models.CharField(blank=True, choices=[('attitude', '服务态度'), ('ability', '业务能力'), ('efficiency', '流程效率'), ('discipline', '纪律执行')], max_length=20)),
                ('shard', models.PositiveSmallIntegerField(db_default=0)),
                ('n', models.IntegerField()),
                ('centre', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.centre')),
                ('department', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.department')),
                ('window', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.window')),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('centre'), models.F('day'), models.F('category'), django.db.models.functions.comparison.Coalesce(models.F('department'), models.Value(0)), django.db.models.functions.comparison.Coalesce(models.F('window'), models.Value(0)), models.F('shard'), name='complaint_day_count_key')],
            },
        ),
        migrations.CreateModel(
            name='EvaluationDayCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('level', models.PositiveSmallIntegerField(choices=[(5, '非常满意'), (4, '满意'), (3, '基本满意'), (2, '不满意'), (1, '非常不满意')])),
                ('shard', models.PositiveSmallIntegerField(db_default=0)),
                ('n', models.IntegerField()),
                ('centre', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.centre')),
                ('channel', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='complaints.channel')),
                ('window', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.window')),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('centre'), models.F('day'), django.db.models.functions.comparison.Coalesce(models.F('window'), models.Value(0)), models.F('channel'), models.F('level'), models.F('shard'), name='evaluation_day_count_key')],
            },
        ),
        migrations.RunPython(install_and_fill, uninstall),
    ]
