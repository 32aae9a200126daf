"""Queue events partitioned by month of occurred_at (PostgreSQL; a no-op on SQLite): docs/partitions.md.

The idempotency rule queue_event_once_per_device_ticket_kind_time contains occurred_at, so it stays a
unique index (per partition, which is the same rule: equal times fall in the same month).
"""

from django.db import migrations

from govservice.partitions import PartitionByMonth


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("intake", "0010_merge_hotline"),
    ]

    operations = [
        PartitionByMonth("queueevent", "occurred_at"),
    ]
