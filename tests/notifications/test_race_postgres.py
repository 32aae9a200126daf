"""Two dispatchers in two threads at the same moment, on PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED).

Runs when DATABASE_URL names PostgreSQL; the embedded SQLite of the default
test run shares one in-memory database between threads, which cannot hold two
writers, so there the interleaving test in test_outbox.py stands in.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection

from notifications import services
from notifications.models import SmsEvent, SmsMessage
from tests.factories.notifications import SmsMessageFactory, SmsTemplateFactory

pytestmark = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL (DATABASE_URL)"
)


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_in_parallel_threads_claim_every_message_exactly_once(daytime):
    SmsTemplateFactory()
    messages = SmsMessageFactory.create_batch(60)
    start = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            start.wait()
            results.append(services.sms_claim_due(limit=40).claimed)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    claimed = results[0] + results[1]
    assert len(set(claimed)) == len(claimed), "a message was claimed twice"
    # Skipping each other's locked rows, the two together took every message.
    assert sorted(claimed) == sorted(m.id for m in messages)
    assert SmsEvent.objects.filter(kind=SmsEvent.Kind.CLAIMED).count() == 60
    assert set(SmsMessage.objects.values_list("attempts", flat=True)) == {1}
