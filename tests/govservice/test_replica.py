"""Reads on the replica (govservice/replica.py): which database alias each view and task reads from.

The replica alias is Django's test mirror of the test database (settings: TEST MIRROR), so both aliases see the
same committed rows and the assertions are about where the queries went. The tests commit (transaction=True): a
read inside the test's own wrapping transaction would go to the primary, which is the rule under test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connections, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext

from development.models import Formula, ManualEntry, Metric, ScoringRun, Source
from govservice.models import Centre
from govservice.replica import WROTE_COOKIE, reads_from_replica, use_primary, use_replica
from tests.factories.development import scheme_with
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica(settings):
    settings.READ_REPLICA_ALIAS = "replica"
    settings.REPLICA_READ_YOUR_WRITES_SECONDS = 10


class Queries:
    """The SQL each alias ran inside the block."""

    def __enter__(self) -> Queries:
        self._primary = CaptureQueriesContext(connections["default"])
        self._replica = CaptureQueriesContext(connections["replica"])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    @property
    def primary(self) -> list[str]:
        return [q["sql"] for q in self._primary.captured_queries]

    @property
    def replica(self) -> list[str]:
        return [q["sql"] for q in self._replica.captured_queries]


def _touching(queries: list[str], table: str) -> list[str]:
    return [q for q in queries if f'"{table}' in q]


def test_the_dashboard_reads_its_figures_from_the_replica(replica, as_user, leader):
    client = as_user(leader)
    with Queries() as q:
        response = client.get("/ledger/dashboard/")
    assert response.status_code == 200
    assert _touching(q.replica, "rectification_problem"), q.replica
    assert not _touching(q.primary, "rectification_problem")
    # The session and the signed-in user come from the primary: a fresh login may not have reached the replica.
    assert _touching(q.primary, "django_session")
    assert not _touching(q.replica, "django_session")
    assert not [s for s in q.replica if s.lstrip().upper().startswith(WRITES)]


def test_the_dashboard_api_reads_from_the_replica(replica, as_user, leader):
    client = as_user(leader)
    with Queries() as q:
        response = client.get("/api/v1/ledger/dashboard/")
    assert response.status_code == 200
    assert _touching(q.replica, "rectification_problem")
    assert not _touching(q.primary, "rectification_problem")


def test_the_dashboard_right_after_the_users_own_write_reads_from_the_primary(replica, as_user, leader):
    client = as_user(leader)
    wrote = client.post("/ledger/dashboard/digest/email/", {"email": "off"})
    assert wrote.status_code == 302
    assert wrote.cookies[WROTE_COOKIE]["max-age"] == 10
    with Queries() as q:
        response = client.get("/ledger/dashboard/")
    assert response.status_code == 200
    assert q.replica == []
    assert _touching(q.primary, "rectification_problem")


def test_once_the_read_your_writes_cookie_is_gone_the_dashboard_reads_from_the_replica_again(replica, as_user, leader):
    client = as_user(leader)
    client.post("/ledger/dashboard/digest/email/", {"email": "off"})
    del client.cookies[WROTE_COOKIE]  # the browser drops it after REPLICA_READ_YOUR_WRITES_SECONDS
    with Queries() as q:
        client.get("/ledger/dashboard/")
    assert _touching(q.replica, "rectification_problem")


def test_a_write_without_a_session_sets_no_cookie_and_a_login_does(replica, client, leader, password):
    from django.test import RequestFactory

    from govservice.replica import ReadYourWritesMiddleware

    middleware = ReadYourWritesMiddleware(lambda request: HttpResponse(status=201))
    response = middleware(RequestFactory().post("/api/v1/intake/evaluations/"))
    assert WROTE_COOKIE not in response.cookies  # a channel's key-authenticated POST
    login = client.post("/accounts/login/", {"username": leader.username, "password": password})
    assert login.status_code == 302
    assert WROTE_COOKIE in login.cookies


def test_a_write_view_reads_and_writes_on_the_primary(replica, as_user, leader):
    client = as_user(leader)
    with Queries() as q:
        response = client.post("/ledger/dashboard/digest/email/", {"email": "off"})
    assert response.status_code == 302
    assert q.replica == []
    assert _touching(q.primary, "dashboard_digestoptout")


def test_a_report_view_asked_for_by_post_reads_on_the_primary(replica, as_user, leader):
    """A request that writes is pinned to the primary even inside a view that may read from the replica."""
    client = as_user(leader)
    with Queries() as q:
        client.post("/ledger/dashboard/")
    assert q.replica == []


def test_a_read_inside_a_transaction_goes_to_the_primary(replica, centre):
    with use_replica():
        assert reads_from_replica()
        with Queries() as q, transaction.atomic():
            assert not reads_from_replica()
            assert Centre.objects.filter(id=centre.id).exists()
        assert q.replica == []
        with Queries() as q:
            assert Centre.objects.filter(id=centre.id).exists()
        assert len(q.replica) == 1 and q.primary == []


def test_use_primary_wins_over_an_outer_use_replica(replica, centre):
    with use_replica(), use_primary(), Queries() as q:
        assert Centre.objects.filter(id=centre.id).exists()
    assert q.replica == []


def test_the_work_calendar_put_in_the_shared_cache_is_read_on_the_primary_even_inside_use_replica(replica):
    from govservice.workdays import WorkCalendar

    with use_replica(), Queries() as q:
        WorkCalendar.load()
    assert q.replica == []
    assert _touching(q.primary, "staff_workcalendarday")


def test_reads_outside_an_opt_in_go_to_the_primary(replica, centre):
    with Queries() as q:
        assert Centre.objects.filter(id=centre.id).exists()
    assert q.replica == [] and len(q.primary) == 1


def test_a_row_read_from_the_replica_does_not_drag_later_reads_there(replica, centre):
    with use_replica():
        found = Centre.objects.get(id=centre.id)
    assert found._state.db == "replica"
    with Queries() as q:
        list(found.departments.all())
    assert q.replica == []


def test_without_a_replica_every_read_is_on_the_primary_and_no_cookie_is_set(settings, as_user, leader):
    settings.READ_REPLICA_ALIAS = None
    client = as_user(leader)
    wrote = client.post("/ledger/dashboard/digest/email/", {"email": "off"})
    assert WROTE_COOKIE not in wrote.cookies
    with Queries() as q:
        assert client.get("/ledger/dashboard/").status_code == 200
    assert q.replica == []


def test_an_export_reads_its_rows_on_the_replica_and_keeps_its_job_on_the_primary(replica, centre, centre_admin):
    from govservice.exports import export_request
    from govservice.models import ExportJob
    from tests.factories.notifications import SmsMessageFactory

    for _ in range(3):
        SmsMessageFactory(centre=centre, status="failed")
    with Queries() as q:
        job = export_request(user=centre_admin, kind="sms_outbox", params={})  # the task runs eagerly at commit
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.rows_done == 3
    assert _touching(q.replica, "notifications_smsmessage")
    assert not _touching(q.primary, "notifications_smsmessage")
    assert not [s for s in q.replica if s.lstrip().upper().startswith(WRITES)]
    assert [s for s in _touching(q.primary, "govservice_exportjob") if s.lstrip().upper().startswith("UPDATE")]


MANUAL_ONLY = [
    {
        "code": "points",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.COUNT,
        "target": Decimal(100),
        "weight": 100,
    },
]


def test_the_monthly_scoring_reads_figures_on_the_replica_and_writes_on_the_primary(replica, centre, window, admin):
    from development.tasks import scoring_monthly_task

    scheme_with(centre, MANUAL_ONLY)
    people = [make_window_staff(centre=centre, window=window, username=f"r{i:02d}") for i in range(3)]
    for index, person in enumerate(people):
        ManualEntry.objects.create(
            centre=centre,
            staff=person,
            month=date(2026, 1, 1),
            indicator_code="points",
            value=Decimal(10 + index),
            reason="测试",
            author=admin,
        )
    with time_machine.travel(date(2026, 2, 2)), Queries() as q:
        assert scoring_monthly_task() == 1
    run = ScoringRun.objects.get()
    assert run.staff_count == 3 and run.scores.filter(total__isnull=False).count() == 3
    # The figures (manual entries, leave) are read on the replica, never on the primary ...
    assert _touching(q.replica, "staff_manualentry")
    assert not _touching(q.primary, "staff_manualentry")
    # ... and every write lands on the primary.
    assert not [s for s in q.replica if s.lstrip().upper().startswith(WRITES)]
    assert [s for s in _touching(q.primary, "staff_staffmonthscore") if s.lstrip().upper().startswith("INSERT")]


def test_a_scoring_run_asked_for_without_the_opt_in_reads_on_the_primary(replica, centre, window, admin):
    from development.scoring import scoring_run_month

    scheme_with(centre, MANUAL_ONLY)
    make_window_staff(centre=centre, window=window, username="r00")
    with Queries() as q:
        scoring_run_month(centre=centre, month=date(2026, 1, 1), actor=None)
    assert q.replica == []


@pytest.fixture
def replica_down(replica, monkeypatch):
    """The replica refuses connections (as a stopped server does); counts the attempts."""
    from govservice.replica import replica_unreachable_forget

    replica_unreachable_forget()
    wrapper = connections["replica"]
    wrapper.close()
    attempts: list[int] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        raise wrapper.Database.OperationalError("connection refused")

    monkeypatch.setattr(wrapper, "get_new_connection", refuse)
    yield attempts
    monkeypatch.undo()
    replica_unreachable_forget()


def test_a_replica_that_cannot_be_reached_sends_the_dashboard_to_the_primary(replica_down, as_user, leader, caplog):
    client = as_user(leader)
    with CaptureQueriesContext(connections["default"]) as primary:  # the replica's own capture would connect
        first = client.get("/ledger/dashboard/")
        second = client.get("/ledger/dashboard/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(_touching([q["sql"] for q in primary.captured_queries], "rectification_problem")) >= 2
    assert connections["replica"].connection is None
    # Tried once, then left alone for REPLICA_RETRY_SECONDS: one warning, not one per query or page.
    assert len(replica_down) == 1
    warnings = [r for r in caplog.records if r.name == "govservice.replica"]
    assert len(warnings) == 1 and "primary" in warnings[0].getMessage()


def test_the_replica_is_tried_again_once_the_retry_time_has_passed(replica_down, settings, monkeypatch):
    import govservice.replica as replica_module

    settings.REPLICA_RETRY_SECONDS = 30
    clock = [1000.0]
    monkeypatch.setattr(replica_module.time, "monotonic", lambda: clock[0])
    with use_replica():
        assert not reads_from_replica()
        clock[0] += 29
        assert not reads_from_replica()
        assert len(replica_down) == 1
        clock[0] += 2
        assert not reads_from_replica()
    assert len(replica_down) == 2


def test_a_replica_back_up_takes_its_reads_again(replica_down, settings, monkeypatch):
    import govservice.replica as replica_module

    clock = [1000.0]
    monkeypatch.setattr(replica_module.time, "monotonic", lambda: clock[0])
    with use_replica():
        assert not reads_from_replica()
    monkeypatch.undo()  # the server answers again
    clock[0] += 31
    monkeypatch.setattr(replica_module.time, "monotonic", lambda: clock[0])
    with use_replica():
        assert reads_from_replica()
        assert Centre.objects.using(None).count() >= 0
