"""Case history partitioned by month of created_at (PostgreSQL; a no-op on SQLite): docs/partitions.md."""

from django.db import migrations

from govservice.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_scoring_case_month_indexes"),
    ]

    operations = [
        PartitionByMonth("caseevent", "created_at"),
    ]
