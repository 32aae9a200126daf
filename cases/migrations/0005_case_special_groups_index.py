"""A partial index on the cases of the special groups: the dashboard reads their assistance records through it."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_case_day_counts'),
        ('staff', '0002_staff_development'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('is_elderly', True), ('is_disabled', True), ('is_other_special', True), _connector='OR'), fields=['centre', 'created_at'], name='case_special_groups_idx'),
        ),
    ]
