"""The data migration stores the reply deadline of complaints received before it was stored."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from complaints.models import Channel, Complaint
from tests.factories.complaints import ComplaintFactory, channel_for

TZ = ZoneInfo("Asia/Shanghai")


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_complaints_get_the_deadline_the_app_computed_for_them(centre):
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
    complaint = ComplaintFactory(centre=centre, received_at=monday)
    suggestion = ComplaintFactory(
        centre=centre,
        received_at=monday,
        kind=Complaint.Kind.SUGGESTION,
        channel=channel_for(centre, Channel.Kind.PORTAL),
    )
    try:
        _migrate([("complaints", "0010_deadline_reply_due")])
        with connection.cursor() as cursor:  # rows as the old code left them: no stored deadline
            cursor.execute("UPDATE complaints_complaint SET reply_due_at = NULL, reply_working_days = NULL")
        _migrate([("complaints", "0011_deadline_fill_reply_due")])
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    complaint.refresh_from_db()
    suggestion.refresh_from_db()
    assert complaint.reply_working_days == 5
    assert timezone.localtime(complaint.reply_due_at) == datetime(2026, 3, 9, 17, 30, tzinfo=TZ)
    assert suggestion.reply_working_days == 13
    assert timezone.localtime(suggestion.reply_due_at) == datetime(2026, 3, 19, 17, 30, tzinfo=TZ)
