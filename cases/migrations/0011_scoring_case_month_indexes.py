"""Indexes for the monthly service-star run's case counts per handler (docs/indexes.md).

case_counts_by_handler filters a centre's cases completed or accepted in the month; with only
(centre, …) indexes to go on, PostgreSQL read every case the centre ever had (a year of cases at
province scale: 10,000 heap pages per centre-month, 250 ms). These two partial range indexes give it
a BitmapOr over the month alone.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_merge_caseloop_counter"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("completed_at__isnull", False), ("status", "completed")),
                fields=["centre", "completed_at"],
                name="case_centre_completed_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("accepted_at__isnull", False)),
                fields=["centre", "accepted_at"],
                name="case_centre_accepted_idx",
            ),
        ),
    ]
