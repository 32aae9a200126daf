from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, close_old_connections

from cases.services import tracking_number_allocate

pytestmark = pytest.mark.django_db(transaction=True)


def test_tracking_numbers_are_unique_when_windows_log_cases_at_the_same_time(centre):
    def allocate(_: int) -> str:
        try:
            for _attempt in range(200):
                try:
                    return tracking_number_allocate(centre_id=centre.id, prefix="GS", year=2026)
                except OperationalError as exc:
                    # The test database is shared-cache in-memory SQLite, which reports a lock
                    # conflict at once instead of waiting (PostgreSQL's row lock waits). The
                    # allocation is one transaction, so a refused attempt left nothing behind.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.005)
            raise AssertionError("could not allocate")
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(allocate, range(40)))
    assert len(set(numbers)) == 40
    assert sorted(numbers) == [f"GS-2026-{n:06d}" for n in range(1, 41)]
