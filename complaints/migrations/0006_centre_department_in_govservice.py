# Centre and Department moved from `staff` to `govservice` (issue 13). Their
# tables stay (db_table in govservice.models), so this only repoints this app's
# foreign keys in Django's model state; no SQL runs and no row is touched.
# Channel.centres is a ManyToManyField: the autodetector would remove and re-add
# it (dropping its join table); in state alone an AlterField is exact and the
# join table complaints_channel_centres keeps its rows.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_dashboard_day_counts"),
        ("govservice", "0002_centre_department"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="badreview",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="bad_reviews",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="complaints",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="govservice.department",
                        verbose_name="承办部门",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaintdaycount",
                    name="centre",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="govservice.centre",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaintdaycount",
                    name="department",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="govservice.department",
                    ),
                ),
                migrations.AlterField(
                    model_name="dutyslot",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="duty_slots",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="dutyswap",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="duty_swaps",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="escalation",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="escalations",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="escalationdepartment",
                    name="department",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govservice.department",
                        verbose_name="部门",
                    ),
                ),
                migrations.AlterField(
                    model_name="evaluation",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="evaluations",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="evaluationdaycount",
                    name="centre",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="govservice.centre",
                    ),
                ),
                migrations.AlterField(
                    model_name="evaluationinvitation",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="feedbackpolicy",
                    name="centre",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="feedback_policy",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="channel",
                    name="centres",
                    field=models.ManyToManyField(
                        related_name="channels", to="govservice.centre", verbose_name="服务中心"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
