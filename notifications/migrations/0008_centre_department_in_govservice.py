# Centre and Department moved from `staff` to `govservice` (issue 13). Their
# tables stay (db_table in govservice.models), so this only repoints this app's
# foreign keys in Django's model state; no SQL runs and no row is touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("govservice", "0002_centre_department"),
        ("notifications", "0007_sms_event_reconciled"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="smsmessage",
                    name="centre",
                    field=models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="govservice.centre",
                        verbose_name="中心",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
