"""Import batches keep their error rows without phone or ID numbers in clear: an error quotes what
the file said (an unknown column name), and the database holds it masked."""

from __future__ import annotations

import pytest
from django.db import connection

from intake.models import ImportBatch
from tests.intake.test_import import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_urls")]

PHONE, ID_NO = "13912345678", "110101199003077774"


def _raw_errors(batch_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT errors FROM intake_importbatch WHERE id = %s", [batch_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else str(value)


@pytest.fixture
def importer(as_user, centre_admin):
    return as_user(centre_admin)


def test_an_unknown_column_named_with_numbers_is_stored_masked(
    importer, channel, window, django_capture_on_commit_callbacks
):
    content = f"工单编号,受理时间,诉求类型,诉求内容,身份证{ID_NO}\n12345-001,2026-03-02 09:30,投诉,x,y\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        upload(importer, channel, content, "export.csv")
    batch = ImportBatch.objects.get()
    raw = _raw_errors(batch.pk)
    assert ID_NO not in raw
    assert "110101********7774" in raw


def test_an_update_of_the_errors_is_scrubbed_too(centre, channel):
    batch = ImportBatch.objects.create(kind="hotline", channel=channel, centre=centre, original_name="a.csv")
    ImportBatch.objects.filter(pk=batch.pk).update(errors=[{"row": 2, "column": "x", "message": f"电话{PHONE}"}])
    assert PHONE not in _raw_errors(batch.pk)
