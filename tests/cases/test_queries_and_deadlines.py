"""The case page and API read a fixed, small number of rows; the work calendar is cached and a
calendar edit is seen at once; the list's "overdue first" order comes from a stored, indexed column.

Query counts are deterministic (no timing here: speed is measured by bench/run.py). Every count
below includes the 3 queries the middleware makes on any request: session, user, the user's roles.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import selectors, services
from cases.models import Case, CaseMaterial
from govservice.models import WorkCalendarDay, WorkCalendarYear
from govservice.workdays import WorkCalendar
from tests import queries
from tests.conftest import login
from tests.factories.cases import matter_with_materials

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MIDDLEWARE = 3  # session, user, roles: counted apart by the bench (roles only when something asks)


_sql = queries.statements


def _busy_case(window_staff, other_window_staff, deficient_case) -> Case:
    """A case with a history written by several people (an N+1 on actors would show)."""
    offer = services.case_handover_offer(
        case_id=deficient_case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="窗口调整"
    )
    services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    material = deficient_case.materials.get(state=CaseMaterial.State.DEFERRED)
    services.case_material_receive(case_id=deficient_case.id, case_material_id=material.id, actor=window_staff)
    return Case.objects.get(id=deficient_case.id)


# --- the case detail ---------------------------------------------------------------------------------


def test_case_detail_api_reads_the_case_its_materials_and_its_history_once(
    as_user, leader, window_staff, other_window_staff, deficient_case, django_assert_max_num_queries
):
    case = _busy_case(window_staff, other_window_staff, deficient_case)
    client = as_user(leader)
    url = reverse("api:case-detail", args=[case.public_id])
    client.get(url)  # the first request of a process reads and caches the work calendar
    with django_assert_max_num_queries(MIDDLEWARE + 3) as captured:
        body = client.get(url).json()
    sql = _sql(captured)
    assert not any(q.startswith("SELECT staff_workcalendar") for q in sql)
    assert sql.count("SELECT cases_caseevent") == 1  # the clock replays the listed events
    assert body["clock"]["state"] == "running" and len(body["events"]) >= 6
    assert {e["actor"] for e in body["events"]} >= {window_staff.username, other_window_staff.username}


def test_roles_are_read_only_to_open_another_centres_case(
    as_user, leader, city_leader, foreign_staff, other_centre, window_staff, deficient_case, log_case
):
    foreign_case = log_case(foreign_staff, matter_type=matter_with_materials(other_centre, code="X1"))
    own = reverse("api:case-detail", args=[deficient_case.public_id])
    foreign = reverse("api:case-detail", args=[foreign_case.public_id])
    with CaptureQueriesContext(connection) as captured:
        assert as_user(leader).get(own).status_code == 200
    assert "SELECT staff_staffrole" not in _sql(captured)  # own centre: roles not needed
    assert as_user(window_staff).get(foreign).status_code == 404
    assert as_user(foreign_staff).get(own).status_code == 404
    assert as_user(city_leader).get(foreign).status_code == 200  # city-wide: roles read, case found
    assert as_user(city_leader).get(foreign_case.get_absolute_url()).status_code == 200


def test_case_page_reads_its_sections_once_and_not_the_calendar(
    as_user, leader, window_staff, log_case, django_assert_num_queries
):
    case = log_case(window_staff)
    services.case_accept(case_id=case.id, actor=window_staff)
    client = as_user(leader)
    client.get(case.get_absolute_url())
    # Own: case (with matter, people, commitment, assistance), materials, events; no hand-overs for a
    # case never handed over. The rest is the base template's (the user's centre, 5 navigation badges)
    # and the middleware's.
    with django_assert_num_queries(MIDDLEWARE + 3 + 6) as captured:  # the common case, pinned
        html = client.get(case.get_absolute_url()).content.decode()
    sql = _sql(captured)
    assert not any(q.startswith("SELECT staff_workcalendar") for q in sql)
    assert sql.count("SELECT cases_caseevent") == 1
    assert case.tracking_no in html and "计时中" in html


# --- the work calendar cache ---------------------------------------------------------------------------


def test_the_work_calendar_is_read_once_then_served_from_the_cache(django_assert_num_queries):
    with django_assert_num_queries(2):
        WorkCalendar.load()
    with django_assert_num_queries(0):
        assert WorkCalendar.load().is_working_day(date(2025, 9, 28)) is True  # a make-up Sunday


def test_every_calendar_write_is_seen_by_the_next_load():
    friday = date(2025, 11, 14)
    assert WorkCalendar.load().add_working_days(friday, 5).date == date(2025, 11, 21)
    day = WorkCalendarDay.objects.create(date=date(2025, 11, 15), is_workday=True, name="调休上班")
    assert WorkCalendar.load().add_working_days(friday, 5).date == date(2025, 11, 20)
    day.is_workday = False
    day.save()
    assert WorkCalendar.load().add_working_days(friday, 5).date == date(2025, 11, 21)
    WorkCalendarDay.objects.create(date=date(2025, 11, 17), is_workday=False, name="临时闭厅")
    assert WorkCalendar.load().add_working_days(friday, 5).date == date(2025, 11, 24)
    WorkCalendarDay.objects.filter(date=date(2025, 11, 17)).delete()
    assert WorkCalendar.load().add_working_days(friday, 5).date == date(2025, 11, 21)

    assert WorkCalendar.load().add_working_days(date(2026, 12, 30), 5).provisional is True
    year = WorkCalendarYear.objects.create(year=2027, is_complete=True)
    assert WorkCalendar.load().add_working_days(date(2026, 12, 30), 5).provisional is False
    year.delete()
    assert WorkCalendar.load().add_working_days(date(2026, 12, 30), 5).provisional is True


def test_a_make_up_working_day_added_in_the_admin_moves_a_running_case_deadline_at_once(admin, window_staff, log_case):
    with time_machine.travel(datetime(2025, 11, 14, 10, 0, tzinfo=SH), tick=False):  # a Friday
        case = log_case(window_staff)  # promised: 10 working days
        services.case_accept(case_id=case.id, actor=window_staff)
        staff_client = login(Client(), window_staff)
        url = reverse("api:case-detail", args=[case.public_id])
        assert staff_client.get(url).json()["clock"]["due_date"] == "2025-11-28"  # calendar now cached

        response = login(Client(), admin).post(
            reverse("admin:govservice_workcalendarday_add"),
            {"date": "2025-11-15", "is_workday": "on", "name": "调休上班"},
        )
        assert response.status_code == 302, response.content[:500]
        assert staff_client.get(url).json()["clock"]["due_date"] == "2025-11-27"  # Saturday now counts


# --- the list: overdue first, by a stored and indexed deadline -----------------------------------------------


def test_current_deadline_follows_the_status_the_commitment_and_its_extension(window_staff, leader, log_case):
    with time_machine.travel(datetime(2025, 11, 14, 10, 0, tzinfo=SH), tick=False):
        case = log_case(window_staff, provided="core")
        assert Case.objects.get(id=case.id).current_deadline is None  # consultation
        case = services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
        )
        case = Case.objects.get(id=case.id)
        assert case.current_deadline == case.correction_deadline == case.commitment.deadline == date(2025, 11, 21)
        services.case_correction_extend(case_id=case.id, actor=leader, days=2, reason="申请人出差")
        case = Case.objects.get(id=case.id)
        assert case.current_deadline == case.commitment.deadline == date(2025, 11, 25)
        material = case.materials.get(state=CaseMaterial.State.DEFERRED)
        services.case_material_receive(case_id=case.id, case_material_id=material.id, actor=window_staff)
        case = Case.objects.get(id=case.id)
        assert case.status == Case.Status.IN_PROCESS
        assert case.current_deadline == case.due_date is not None  # the promised date, clock running again
        services.case_transition(case_id=case.id, to=Case.Status.COMPLETED, actor=window_staff, note="已办结")
        assert Case.objects.get(id=case.id).current_deadline is None


def test_list_puts_overdue_first_then_the_nearest_deadline_then_the_rest_newest_first(window_staff, leader, log_case):
    with time_machine.travel(datetime(2025, 11, 3, 10, 0, tzinfo=SH), tick=False):
        running_early = log_case(window_staff)
        services.case_accept(case_id=running_early.id, actor=window_staff)  # due 2025-11-17
        awaiting = log_case(window_staff, provided="core")
        services.case_accept_with_deficiencies(  # correction deadline 2025-11-10
            case_id=awaiting.id, actor=window_staff, deferred_material_ids=[awaiting.materials.get(is_core=False).id]
        )
    with time_machine.travel(datetime(2025, 11, 12, 10, 0, tzinfo=SH), tick=False):
        running_late = log_case(window_staff)
        services.case_accept(case_id=running_late.id, actor=window_staff)  # due 2025-11-26
        closed = log_case(window_staff)
        services.case_transition(case_id=closed.id, to=Case.Status.WITHDRAWN, actor=window_staff, note="申请人撤回")
    with time_machine.travel(datetime(2025, 11, 12, 11, 0, tzinfo=SH), tick=False):
        consulting = log_case(window_staff)
    with time_machine.travel(datetime(2025, 11, 18, 10, 0, tzinfo=SH), tick=False):
        listed = list(selectors.case_list_for(user=leader))
        flags = [c.is_overdue for c in listed]
        overdue = list(selectors.case_list_for(user=leader, overdue=True))
    assert [c.id for c in listed] == [awaiting.id, running_early.id, running_late.id, consulting.id, closed.id]
    assert flags == [True, True, False, False, False]
    assert [c.id for c in overdue] == [awaiting.id, running_early.id]


def test_list_order_is_served_by_the_index_not_a_sort_of_the_centre(leader):
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's plan; on PostgreSQL the plan is measured by the bench (docs/benchmarks.md)")
    queryset = selectors.case_list_for(user=leader)[:20]
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)  # SQLite, as in the test settings
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "case_centre_deadline_idx" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan
