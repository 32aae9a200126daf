"""The (centre, rated_at) index of evaluations becomes covering for the leader dashboard.

Window, channel, level and the exclusion flag join the key, so the dashboard's satisfaction
figures are counted from the index alone. It replaces the plain (centre, rated_at) index,
which it serves as well (same leading columns), rather than adding a second one to every insert.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_feedback_flows"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="evaluation",
            name="complaints__centre__759f15_idx",
        ),
        migrations.AddIndex(
            model_name="evaluation",
            index=models.Index(
                fields=["centre", "rated_at", "window", "channel", "level", "excluded"],
                name="evaluation_centre_rated_cover",
            ),
        ),
    ]
