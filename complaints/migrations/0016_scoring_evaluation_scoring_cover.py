"""A covering index for the monthly service-star run's evaluation counts (docs/indexes.md).

evaluation_counts_by_staff reads one centre-month's counted ratings grouped by person; the
(centre, rated_at) cover has no staff column, so every rating's heap page was visited. This
partial index (named staff, not excluded) answers it from the index alone.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0015_merge_lean_hotline"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(
                condition=models.Q(("excluded", False), ("staff__isnull", False)),
                fields=["centre", "rated_at", "staff", "level", "id"],
                name="evaluation_scoring_cover",
            ),
        ),
    ]
