"""The evaluation table partitioned by month of `rated_at` on PostgreSQL (issue 21); SQLite keeps a plain table.

1. Every foreign key to the evaluation (events, bad review, complaint, the follow-up and superseded-by self
   references) loses its database constraint: a partitioned table cannot be referenced. Django keeps the
   on_delete behaviour (it collects and deletes / sets NULL itself).
2. On PostgreSQL the filled table is converted (govservice/partitions.py: every row and id kept, every index
   by name, checks, outgoing foreign keys and the day-count triggers), dropping the four unique rules that
   do not contain rated_at; three come back as triggers raising the same unique_violation under the same
   constraint name, public_id as the unique (public_id, rated_at) (complaints/evaluation_uniques.py).
3. SQLite rebuilt the tables for step 1, which drops their triggers: the day-count triggers are reinstalled.
"""

import django.db.models.deletion
from django.db import migrations, models


def partition(apps, schema_editor):
    from complaints import evaluation_uniques
    from govservice import partitions, rollups

    if schema_editor.connection.vendor == "postgresql":
        evaluation = apps.get_model("complaints", "Evaluation")
        partitions.convert_to_monthly(
            schema_editor, evaluation, "rated_at", drop_uniques=evaluation_uniques.DROPPED_UNIQUES
        )
        evaluation_uniques.install(schema_editor.connection)
    # SQLite remade the tables above without their triggers; on PostgreSQL this replaces them (idempotent).
    rollups.install(schema_editor.connection, rollups.EVALUATIONS)
    rollups.install(schema_editor.connection, rollups.COMPLAINTS)


def unpartition(apps, schema_editor):
    from complaints import evaluation_uniques
    from govservice import partitions

    if schema_editor.connection.vendor == "postgresql":
        evaluation_uniques.uninstall(schema_editor.connection)
        # Recreates the unique constraints the model declares (public_id, follow_up_of, the two rules).
        partitions.revert_to_plain(schema_editor, apps.get_model("complaints", "Evaluation"), "rated_at")


def reinstall_day_count_triggers(apps, schema_editor):
    """Backwards on SQLite: the AlterFields remake the tables again after `unpartition`."""
    from govservice import rollups

    rollups.install(schema_editor.connection, rollups.EVALUATIONS)
    rollups.install(schema_editor.connection, rollups.COMPLAINTS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0016_partitions_event_history"),
    ]

    operations = [
        # Backwards this runs last: the tables remade by the reversed AlterFields get their triggers back.
        migrations.RunPython(migrations.RunPython.noop, reinstall_day_count_triggers),
        migrations.AlterField(
            model_name="badreview",
            name="evaluation",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="bad_review",
                to="complaints.evaluation",
                verbose_name="评价",
            ),
        ),
        migrations.AlterField(
            model_name="complaint",
            name="evaluation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="complaints",
                to="complaints.evaluation",
                verbose_name="来源评价",
            ),
        ),
        migrations.AlterField(
            model_name="evaluation",
            name="follow_up_of",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="follow_up",
                to="complaints.evaluation",
                verbose_name="追评对象",
            ),
        ),
        migrations.AlterField(
            model_name="evaluation",
            name="superseded_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="supersedes",
                to="complaints.evaluation",
                verbose_name="被替换为",
            ),
        ),
        migrations.AlterField(
            model_name="evaluationevent",
            name="evaluation",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="complaints.evaluation",
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
