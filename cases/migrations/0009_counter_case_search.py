"""The counter's case search (cases/search.py): the phone's last four digits as a column, filled for the
existing cases, and the indexes the search reads (centre + name, centre + last four)."""

import re

from django.conf import settings
from django.db import migrations, models

from govservice.numbers import normalize_phone

BATCH = 500


def _last4(phone):
    digits = re.sub(r"\D", "", normalize_phone(phone))
    return digits[-4:] if len(digits) >= 4 else ""


def fill_last4(apps, schema_editor):
    """Every existing case's last four digits, from its (decrypted) phone; in batches by primary key, so a
    large table never sits in memory. Running it twice changes nothing the second time."""
    Case = apps.get_model("cases", "Case")
    rows = (
        Case.objects.exclude(applicant_phone="").order_by("pk").only("pk", "applicant_phone", "applicant_phone_last4")
    )
    last = 0
    while True:
        page = list(rows.filter(pk__gt=last)[:BATCH])
        if not page:
            return
        dirty = []
        for case in page:
            value = _last4(case.applicant_phone)
            if case.applicant_phone_last4 != value:
                case.applicant_phone_last4 = value
                dirty.append(case)
        if dirty:
            Case.objects.bulk_update(dirty, ["applicant_phone_last4"])
        last = page[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_merge_privtext_absence"),
        ("govservice", "0003_calcal_work_calendar_change"),
        ("staff", "0007_merge_opsadmin_absence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="applicant_phone_last4",
            field=models.CharField(blank=True, editable=False, max_length=4, verbose_name="手机号后四位"),
        ),
        migrations.RunPython(fill_last4, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["centre", "applicant_name"], name="case_centre_applicant_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["centre", "applicant_phone_last4"], name="case_centre_phone_last4_idx"),
        ),
    ]
