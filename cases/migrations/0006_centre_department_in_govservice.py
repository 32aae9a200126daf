# Centre and Department moved from `staff` to `govservice` (issue 13). Their
# tables stay (db_table in govservice.models), so this only repoints this app's
# foreign keys in Django's model state; no SQL runs and no row is touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_case_special_groups_index"),
        ("govservice", "0002_centre_department"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="applicantrecord",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cases",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="casedaycount",
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
                    model_name="mattertype",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="matter_types",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="mattertype",
                    name="department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="matter_types",
                        to="govservice.department",
                        verbose_name="部门",
                    ),
                ),
                migrations.AlterField(
                    model_name="trackingcounter",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="govservice.centre"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
