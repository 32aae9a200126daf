"""Complaint, work-order and evaluation history partitioned by month of created_at (PostgreSQL; a no-op on
SQLite): docs/partitions.md. EvaluationEvent's foreign key to Evaluation is kept here; it is made
db_constraint=False where complaints_evaluation itself is partitioned.
"""

from django.db import migrations

from govservice.partitions import PartitionByMonth


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0016_scoring_evaluation_scoring_cover"),
    ]

    operations = [
        PartitionByMonth("complaintevent", "created_at"),
        PartitionByMonth("workorderevent", "created_at"),
        PartitionByMonth("evaluationevent", "created_at"),
    ]
