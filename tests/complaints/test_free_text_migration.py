"""The data migration: existing rows get a scrubbed column and a sealed original, in batches;
going back puts the originals back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint, ComplaintEvent
from govservice import sealed
from tests.factories.complaints import ComplaintFactory
from tests.queries import statements

BEFORE = [("complaints", "0006_centre_department_in_govservice")]
AFTER = [("complaints", "0007_privtext_scrub_free_text")]
TEXT = "请回电13912345678 身份证110101199003077774"
MASKED = "请回电139****5678 身份证110101********7774"


def _raw(column: str, pk: int, table: str = "complaints_complaint") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _migrate_to_latest() -> None:
    """Every app back at its newest migration: going back to 0006 also unapplied the migrations of other apps
    that depend on later complaints migrations, and the tests after this one need them all."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_scrubbed_and_sealed_in_batches_and_restored_on_the_way_back(centre, monkeypatch):
    complaints = [ComplaintFactory(centre=centre) for _ in range(5)]
    plain = ComplaintFactory(centre=centre, content="态度冷漠")
    event = ComplaintEvent.objects.create(complaint=complaints[0], new_status="received")
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:  # rows as the old code wrote them: numbers in clear
            cursor.execute("UPDATE complaints_complaint SET content = %s, reply = %s", [TEXT, TEXT])
            cursor.execute("UPDATE complaints_complaint SET content = %s WHERE id = %s", ["态度冷漠", plain.id])
            cursor.execute("UPDATE complaints_complaintevent SET note = %s", [TEXT])
        monkeypatch.setattr(sealed, "MIGRATION_BATCH_SIZE", 2)
        with CaptureQueriesContext(connection) as queries:
            _migrate(AFTER)
        for complaint in complaints:
            assert _raw("content", complaint.id) == MASKED
            assert _raw("reply", complaint.id) == MASKED
            assert _raw("content_sealed", complaint.id).startswith("enc1:")
        assert _raw("content", plain.id) == "态度冷漠"
        assert _raw("content_sealed", plain.id) == ""
        assert _raw("note", event.id, "complaints_complaintevent") == MASKED  # scrubbed, nothing sealed
        # only() the column this state has: fields added by later migrations (e.g. the verdict) are not there yet
        assert Complaint.objects.only("content_sealed").get(pk=complaints[0].pk).content_sealed == TEXT
        # Six complaint rows read two at a time: more than one SELECT of complaints.
        assert statements(queries).count("SELECT complaints_complaint") >= 3

        _migrate(BEFORE)
        assert _raw("content", complaints[0].id) == TEXT
        assert _raw("reply", complaints[0].id) == TEXT
        assert _raw("content", plain.id) == "态度冷漠"
    finally:
        _migrate_to_latest()
