"""The leaders' dashboard: figures, links to the lists behind them, scoping, bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.figures import DashboardFilters, dashboard_for
from rectification.models import Measure, Problem
from tests.conftest import login
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import CentreFactory, UserFactory

S = Problem.Status
pytestmark = pytest.mark.django_db


def _bulk(centre, leader, person, n: int, start: int = 0) -> None:
    today = timezone.localdate()
    statuses = [S.OPEN, S.IN_RECTIFICATION, S.CLOSE_OUT_APPLIED, S.CLOSED]
    Problem.objects.bulk_create(
        [
            Problem(
                centre=centre,
                code=f"B-{i:05d}",
                category=["attitude", "ability", "efficiency", "discipline"][i % 4],
                title="t",
                description="d",
                source="self_inspection",
                found_on=today,
                responsible_leader=leader,
                responsible_person=person,
                status=statuses[i % 4],
                closed_at=timezone.now() if statuses[i % 4] == S.CLOSED else None,
            )
            for i in range(start, start + n)
        ]
    )
    problems = Problem.objects.filter(code__startswith="B-").exclude(measures__isnull=False)
    Measure.objects.bulk_create(
        [Measure(problem=p, description="m", owner=person, deadline=today - timedelta(days=p.id % 3)) for p in problems]
    )


def _queries(client) -> int:
    cache.clear()  # count the computation, not a cached answer
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/ledger/dashboard/").status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_the_same_for_10_and_1000_problems(client, centre, leader, window_staff, city_leader):
    _bulk(centre, leader, window_staff, 10)
    login(client, leader)
    ten = _queries(client)
    _bulk(centre, leader, window_staff, 990, start=10)
    assert Problem.objects.count() == 1000
    assert _queries(client) == ten
    login(client, city_leader)  # the city view adds the per-centre comparison, still bounded
    city = _queries(client)
    _bulk(centre, leader, window_staff, 5, start=2000)
    assert _queries(client) == city


def test_on_time_rate_counts_the_overdue_backlog(centre, leader, window_staff):
    today = timezone.localdate()
    on_time = ProblemFactory(centre=centre, status=S.CLOSED, closed_at=timezone.now(), responsible_leader=leader)
    MeasureFactory(problem=on_time, deadline=today + timedelta(days=1), completed_at=timezone.now(), progress=100)
    late = ProblemFactory(centre=centre, status=S.CLOSED, closed_at=timezone.now(), responsible_leader=leader)
    MeasureFactory(problem=late, deadline=today - timedelta(days=9), completed_at=timezone.now(), progress=100)
    for _ in range(2):
        backlog = ProblemFactory(centre=centre, status=S.IN_RECTIFICATION, responsible_leader=leader)
        MeasureFactory(problem=backlog, deadline=today - timedelta(days=1))
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    attitude = next(r for r in data.ledger if r.key == "attitude")
    assert (attitude.closed, attitude.closed_on_time, attitude.overdue, attitude.in_rectification) == (2, 1, 2, 2)
    assert attitude.on_time_rate == 25.0  # 1 ÷ (2 closed + 2 open-overdue)
    overdue_tile = next(f for f in data.decisions if f.key == "overdue_measures")
    assert overdue_tile.value == 2


def test_every_ledger_number_links_to_a_list_with_that_many_rows(client, centre, leader):
    today = timezone.localdate()
    for status in (S.OPEN, S.CLOSE_OUT_APPLIED, S.CLOSE_OUT_APPLIED):
        MeasureFactory(
            problem=ProblemFactory(centre=centre, status=status, responsible_leader=leader),
            deadline=today - timedelta(days=1),
        )
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    login(client, leader)
    for row in data.ledger:
        for key, count in (
            ("total", row.total),
            ("close_out_applied", row.close_out_applied),
            ("overdue", row.overdue),
        ):
            page = client.get(row.urls[key]).content.decode()
            assert f"共 {count} 个问题" in page, (row.key, key)


def test_a_centre_leader_never_sees_another_centre_on_the_dashboard(
    client, centre, other_centre, leader, other_leader, city_leader
):
    ProblemFactory(centre=other_centre, responsible_leader=other_leader, status=S.CLOSE_OUT_APPLIED)
    mine = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    assert mine.ledger_total.total == 0
    assert mine.centres == []
    assert dashboard_for(user=other_leader, filters=DashboardFilters.from_query({})).ledger_total.close_out_applied == 1
    city = dashboard_for(user=city_leader, filters=DashboardFilters.from_query({}))
    assert [c.key for c in city.centres] == ["gxq"]
    # Asking for another centre by filter changes nothing for a centre leader.
    assert dashboard_for(user=leader, filters=DashboardFilters.from_query({"centre": "gxq"})).ledger_total.total == 0
    login(client, leader)
    assert client.get("/api/v1/ledger/dashboard/").json()["ledger_total"]["close_out_applied"] == 0


def test_window_staff_have_no_dashboard(client, window_staff):
    login(client, window_staff)
    assert client.get("/ledger/dashboard/").status_code == 404


def test_a_superuser_without_roles_reaches_the_dashboard_like_every_management_screen(client, centre):
    # govservice.access.has_management_role: a role-less operator account passes the management screens.
    login(client, UserFactory(centre=centre, username="operator", is_staff=True, is_superuser=True, roles=[]))
    assert client.get("/ledger/dashboard/").status_code == 200


def test_satisfaction_rates_by_month_window_and_channel(centre, leader, window):
    from complaints.models import Channel, Evaluation

    channel = Channel.objects.create(code="dev", name="评价器", kind=Channel.Kind.WINDOW_DEVICE)
    now = timezone.now()
    for level in (5, 5, 4, 3, 1):
        Evaluation.objects.create(centre=centre, channel=channel, window=window, level=level, rated_at=now)
    Evaluation.objects.create(centre=centre, channel=channel, window=window, level=1, rated_at=now, excluded=True)
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    assert [(s.total, s.very_satisfied_rate, s.good_rate) for s in data.satisfaction_by_channel] == [(5, 40.0, 80.0)]
    assert data.satisfaction_by_window[0].total == 5
    assert data.satisfaction_by_month[-1].very_satisfied_rate == 40.0


def test_dashboard_has_no_inline_styles_and_uses_server_svg(client, leader, problem):
    login(client, leader)
    html = client.get("/ledger/dashboard/").content.decode()
    assert "<svg" in html
    assert "style=" not in html and "<style" not in html


def test_every_dashboard_link_opens_a_page(client, centre, leader, window, problem):
    from complaints.models import Channel, Complaint, Evaluation

    channel = Channel.objects.create(code="dev", name="评价器", kind=Channel.Kind.WINDOW_DEVICE)
    now = timezone.now()
    Evaluation.objects.create(centre=centre, channel=channel, window=window, level=5, rated_at=now)
    Complaint.objects.create(
        tracking_no="TS-9", centre=centre, channel=channel, content="x", category="attitude", received_at=now
    )
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    urls = [f.url for f in data.decisions + data.cases + data.staff]
    urls += [s.url for s in data.complaints_by_category + data.satisfaction_by_month + data.satisfaction_by_channel]
    urls += [m.url for m in data.complaints_by_month]
    urls += [u for row in data.ledger for u in row.urls.values()]
    login(client, leader)
    broken = [url for url in urls if not url or client.get(url).status_code != 200]
    assert broken == []


def test_a_period_whose_evaluations_have_no_window_is_shown(client, centre, leader):
    """The names lookup's UNION once failed on PostgreSQL when no window part came first."""
    from complaints.models import Channel, Evaluation

    channel = Channel.objects.create(code="web", name="网上大厅", kind=Channel.Kind.PORTAL)
    Evaluation.objects.create(centre=centre, channel=channel, level=4, rated_at=timezone.now())
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    assert [(s.key, s.total) for s in data.satisfaction_by_channel] == [("web", 1)]
    assert [(s.key, s.total) for s in data.satisfaction_by_window] == [("", 1)]


def test_city_table_counts_equal_each_figure_counted_for_its_centre(
    centre, other_centre, leader, window_staff, city_leader
):
    """The per-centre table (rows grouped by centre once and spread over the centres in SQL) shows, in every
    cell, the number the figure's own list shows for that centre; a centre with no rows shows 0."""
    from govservice import metrics
    from tests.factories.complaints import ComplaintFactory, channel_for

    CentreFactory(code="zz9", name="第三中心", tracking_prefix="ZZ")  # no rows at all
    _bulk(centre, leader, window_staff, 7)
    ProblemFactory(centre=other_centre, responsible_leader=leader, responsible_person=window_staff)
    for i, where in enumerate([centre, centre, centre, other_centre, other_centre]):
        ComplaintFactory(centre=where, channel=channel_for(where), category="attitude" if i % 2 else "")
    data = dashboard_for(user=city_leader, filters=DashboardFilters.from_query({}))
    assert [row.code for row in data.centre_table] == ["city", "gxq", "zz9"]
    seen = set()
    for row in data.centre_table:
        for figure in row.figures:
            expected = metrics.get(figure.metric).for_centre(row.code).count_rows(city_leader)
            assert (row.code, figure.metric, figure.value) == (row.code, figure.metric, expected)
            seen.add((row.code, figure.value))
    assert ("zz9", 0) in seen and any(code == "city" and value for code, value in seen)
    assert any(code == "gxq" and value for code, value in seen)
