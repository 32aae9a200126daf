# Centre and Department moved from `staff` to `govservice` (issue 13). Their
# tables stay (db_table in govservice.models), so this only repoints this app's
# foreign keys in Django's model state; no SQL runs and no row is touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("govservice", "0002_centre_department"),
        ("rectification", "0002_ledger_details"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="measure",
                    name="owner_department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govservice.department",
                        verbose_name="责任单位",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="centre",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="problems",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
                migrations.AlterField(
                    model_name="problem",
                    name="responsible_department",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govservice.department",
                        verbose_name="责任单位",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
