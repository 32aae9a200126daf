"""The SMS outbox and its history partitioned by month of created_at (PostgreSQL; a no-op on SQLite).

SmsMessage.key stays unique whatever the month (it is the idempotency key: a key queued again a month
later must still find the first message), so its unique constraint, which cannot exist on a table
partitioned by created_at, is kept by a trigger under the same name (govservice/partition_uniques.py).
SmsEvent.message can no longer be a database foreign key (a partitioned table cannot be referenced):
Django's on_delete=CASCADE still deletes the events with their message. docs/partitions.md.
"""

import django.db.models.deletion
from django.db import migrations, models

from govservice.partition_uniques import install_unique_trigger, remove_unique_trigger
from govservice.partitions import PartitionByMonth

KEY_RULE = "notifications_smsmessage_key_key"


def install(apps, schema_editor):
    install_unique_trigger(schema_editor, apps.get_model("notifications", "SmsMessage"), ["key"], KEY_RULE)


def remove(apps, schema_editor):
    remove_unique_trigger(schema_editor, apps.get_model("notifications", "SmsMessage"), KEY_RULE)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0012_notices_wording_per_reader"),
    ]

    operations = [
        migrations.AlterField(
            model_name="smsevent",
            name="message",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="notifications.smsmessage",
                verbose_name="短信",
            ),
        ),
        PartitionByMonth("smsmessage", "created_at", drop_uniques=[KEY_RULE]),
        migrations.RunPython(install, remove),
        PartitionByMonth("smsevent", "created_at"),
    ]
