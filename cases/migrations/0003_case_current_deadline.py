"""The case list's order by an index: a stored current deadline per case.

`correction_deadline` copies `commitment.deadline` (filled here for existing cases);
`current_deadline` is computed by the database from the status, and indexed with the centre
and the creation time so a page of the list reads its rows only.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_correction_deadlines(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Commitment = apps.get_model("cases", "Commitment")
    Case.objects.filter(commitment__isnull=False).update(
        correction_deadline=Subquery(Commitment.objects.filter(case=OuterRef("pk")).values("deadline")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_case_workflow"),
        ("staff", "0002_staff_development"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="correction_deadline",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="补正期限"),
        ),
        migrations.RunPython(copy_correction_deadlines, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="case",
            name="current_deadline",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(status__in=["accepted", "in_process"], then=models.F("due_date")),
                    models.When(status="awaiting_correction", then=models.F("correction_deadline")),
                    default=None,
                    output_field=models.DateField(),
                ),
                output_field=models.DateField(null=True),
                verbose_name="当前期限",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["centre", "current_deadline", "-created_at"], name="case_centre_deadline_idx"),
        ),
    ]
