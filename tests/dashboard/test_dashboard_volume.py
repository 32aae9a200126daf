"""The leaders' dashboard at volume: a fixed number of queries, and figures equal to plain counts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Channel, Complaint, Evaluation
from dashboard.figures import DashboardFilters, dashboard_for
from govservice.workdays import WorkCalendar
from rectification.models import Measure, Problem
from tests import queries
from tests.conftest import login
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import WindowFactory

S = Problem.Status
pytestmark = pytest.mark.django_db

PAGE, API = "/ledger/dashboard/", "/api/v1/ledger/dashboard/"
DASHBOARD_QUERIES = 6  # see dashboard_for's docstring


def _own_queries(client, url: str) -> int:
    cache.clear()  # the figures are computed, not served from a cache
    WorkCalendar.load()  # the work calendar the overdue rules read is, as in service, cached (2 queries a minute)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(queries.own(ctx))


def _dashboard_queries(user, query: dict[str, str]) -> int:
    assert user.is_city_wide in (True, False)  # the roles, loaded once per request by the middleware
    with CaptureQueriesContext(connection) as ctx:
        dashboard_for(user=user, filters=DashboardFilters.from_query(query))
    return len(ctx.captured_queries)


@pytest.fixture
def channels():
    return (
        Channel.objects.create(code="dev", name="评价器", kind=Channel.Kind.WINDOW_DEVICE),
        Channel.objects.create(code="app", name="政务服务APP", kind=Channel.Kind.QR_CODE),
    )


@pytest.fixture
def windows(centre, other_centre, window):
    return {
        centre.id: [window, WindowFactory(centre=centre, code="B02", name="社保窗口"), None],
        # The same window number in another centre: a city-wide view must not merge them.
        other_centre.id: [WindowFactory(centre=other_centre, code="B01", name="高新区综合窗口"), None],
    }


def _volume(centre, other_centre, windows, channels, leader, person, n: int) -> None:
    """n evaluations and complaints over both centres, several windows, channels, levels and months.

    The first of each is in the first centre, counted, and in the default period.
    """
    now = timezone.now()
    evaluations, complaints = [], []
    for i in range(n):
        where = other_centre if i % 3 == 2 else centre
        evaluations.append(
            Evaluation(
                centre=where,
                channel=channels[i % 2],
                window=windows[where.id][i % len(windows[where.id])],
                level=i % 5 + 1,
                excluded=i % 7 == 6,
                # Spread over the default period, plus a few long before it.
                rated_at=now - timedelta(days=400 if i % 11 == 10 else (i * 13) % 140),
            )
        )
        complaints.append(
            Complaint(
                tracking_no=f"VOL-{n}-{i}",
                centre=where,
                channel=channels[0],
                content="x",
                category=["attitude", "ability", "efficiency", "discipline", ""][i % 5],
                received_at=now - timedelta(days=(i * 17) % 140),
            )
        )
    Evaluation.objects.bulk_create(evaluations)
    Complaint.objects.bulk_create(complaints)
    today = timezone.localdate()
    for i in range(max(1, n // 20)):
        for where in (centre, other_centre):
            problem = ProblemFactory(
                centre=where,
                category=["attitude", "ability", "efficiency", "discipline"][i % 4],
                status=[S.OPEN, S.IN_RECTIFICATION, S.CLOSE_OUT_APPLIED, S.CLOSED][i % 4],
                closed_at=timezone.now() if i % 4 == 3 else None,
                responsible_leader=leader,
                responsible_person=person,
            )
            MeasureFactory(problem=problem, owner=person, deadline=today - timedelta(days=i % 3 - 1))


@pytest.mark.parametrize("who", ["leader", "city_leader"])
def test_query_counts_are_the_same_for_one_row_and_many(
    request, client, who, centre, other_centre, window, windows, channels, leader, window_staff
):
    user = request.getfixturevalue(who)
    login(client, user)
    _volume(centre, other_centre, windows, channels, leader, window_staff, 1)
    one = {url: _own_queries(client, url) for url in (PAGE, API)}
    assert _dashboard_queries(user, {}) == DASHBOARD_QUERIES

    _volume(centre, other_centre, windows, channels, leader, window_staff, 300)
    assert Evaluation.objects.count() > 300
    many = {url: _own_queries(client, url) for url in (PAGE, API)}
    assert many == one
    # The API is the dashboard's queries only; the page adds the header's centre, the navigation badges of
    # the other apps and the queue machines' hour × window map (one grouped query), 13 in all.
    assert one[API] == DASHBOARD_QUERIES
    assert one[PAGE] <= 13
    assert _dashboard_queries(user, {"department": str(window.department_id)}) == DASHBOARD_QUERIES


def _rates(rows: list[tuple[int, int, int]]) -> tuple[int, float | None, float | None]:
    n = len(rows)
    very = sum(1 for level, *_ in rows if level == 5)
    good = sum(1 for level, *_ in rows if level >= 3)
    return n, (round(100 * very / n, 1) if n else None), (round(100 * good / n, 1) if n else None)


@pytest.mark.parametrize("who", ["leader", "city_leader"])
def test_figures_equal_plain_counts(request, who, centre, other_centre, windows, channels, leader, window_staff):
    user = request.getfixturevalue(who)
    _volume(centre, other_centre, windows, channels, leader, window_staff, 120)
    filters = DashboardFilters.from_query({})
    data = dashboard_for(user=user, filters=filters)
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    scope = {} if user.is_city_wide else {"centre": centre}

    # Satisfaction: every evaluation in scope and period, not excluded, read one by one.
    rated = [
        (e.level, e.window, e.channel, timezone.localtime(e.rated_at, tz).strftime("%Y-%m"))
        for e in Evaluation.objects.filter(excluded=False, **scope).select_related("window__centre", "channel")
        if start <= e.rated_at < end
    ]
    by_channel = {c.code: _rates([r for r in rated if r[2] == c]) for c in channels}
    assert [(s.key, s.total, s.very_satisfied_rate, s.good_rate) for s in data.satisfaction_by_channel] == sorted(
        (code, *figures) for code, figures in by_channel.items() if figures[0]
    )
    windows = {r[1] for r in rated}
    expected_windows = []
    for w in windows:
        label = " 未关联窗口" if w is None else f"{w.code} {w.name}"
        if w is not None and user.is_city_wide:
            label = f"{w.centre.name} · {label}"
        expected_windows.append((label, *_rates([r for r in rated if r[1] == w])))
    assert sorted(
        (s.label, s.total, s.very_satisfied_rate, s.good_rate) for s in data.satisfaction_by_window
    ) == sorted(expected_windows)
    if user.is_city_wide:  # the two windows numbered B01 stay apart
        assert len([s for s in data.satisfaction_by_window if s.key == "B01"]) == 2
    months = sorted({r[3] for r in rated})
    assert [(s.key, s.total, s.very_satisfied_rate, s.good_rate) for s in data.satisfaction_by_month] == [
        (m, *_rates([r for r in rated if r[3] == m])) for m in months
    ]

    # Complaints: by category and by month.
    received = [
        (c.category, timezone.localtime(c.received_at, tz).strftime("%Y-%m"))
        for c in Complaint.objects.filter(**scope)
        if start <= c.received_at < end
    ]
    per_category = Counter(category for category, _m in received)
    assert {s.key: s.count for s in data.complaints_by_category} == {k: v for k, v in per_category.items() if v} | {
        k: 0 for k in ("attitude", "ability", "efficiency", "discipline") if not per_category[k]
    }
    per_month = Counter(month for _c, month in received)
    assert {m.month: m.total for m in data.complaints_by_month if m.total} == dict(per_month)

    # The ledger: by category, by centre, and the overdue measures tile.
    problems = Problem.objects.filter(**scope)
    for row in data.ledger:
        for status in S.values:
            assert getattr(row, status) == problems.filter(category=row.key, status=status).count(), (row.key, status)
    if user.is_city_wide:
        assert [r.key for r in data.centres] == sorted([centre.code, other_centre.code])
        for row in data.centres:
            in_centre = problems.filter(centre__code=row.key)
            assert row.total == in_centre.count()
            assert row.closed == in_centre.filter(status=S.CLOSED).count()
    else:
        assert data.centres == []
    today = timezone.localdate()
    overdue = [
        m
        for m in Measure.objects.filter(problem__in=problems).select_related("problem")
        if m.completed_at is None and m.deadline < today and m.problem.status != S.CLOSED
    ]
    assert next(f.value for f in data.decisions if f.key == "overdue_measures") == len(overdue) > 0


def test_filter_choices_are_the_departments_and_centres_in_scope(client, centre, other_centre, window, leader):
    other_window = WindowFactory(centre=other_centre)
    mine = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    assert [c.value for c in mine.department_choices] == [window.department_id]
    assert mine.centre_choices == []
    login(client, leader)
    html = client.get(PAGE).content.decode()
    assert f'<option value="{window.department_id}"' in html
    assert f'<option value="{other_window.department_id}"' not in html


def test_figures_are_kept_a_minute_per_scope_and_filters_and_say_when_computed(
    client, centre, other_centre, leader, other_leader, window
):
    import time_machine

    ProblemFactory(centre=centre, responsible_leader=leader, status=S.CLOSE_OUT_APPLIED)
    login(client, leader)
    first = client.get(API).json()
    assert first["ledger_total"]["close_out_applied"] == 1
    ProblemFactory(centre=centre, responsible_leader=leader, status=S.CLOSE_OUT_APPLIED)

    with CaptureQueriesContext(connection) as ctx:
        again = client.get(API).json()
    assert queries.own(ctx) == []
    assert again == first
    computed = timezone.localtime(datetime.fromisoformat(first["computed_at"]))
    html = client.get(PAGE).content.decode()
    assert f"数据计算于 {computed:%Y-%m-%d %H:%M:%S}" in html

    # Other filters, another centre's leader: computed for them, never someone else's figures.
    assert client.get(API, {"department": window.department_id}).json()["computed_at"] != first["computed_at"]
    login(client, other_leader)
    assert client.get(API).json()["ledger_total"]["close_out_applied"] == 0

    login(client, leader)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert client.get(API).json()["ledger_total"]["close_out_applied"] == 2


def test_the_escalation_tile_uses_the_work_calendar_next_working_day():
    from datetime import date

    from dashboard.figures.build import _next_working_day
    from govservice.models import WorkCalendarDay
    from govservice.workdays import WorkCalendar

    # The centre's own entries win: a make-up Saturday and an extra day off.
    WorkCalendarDay.objects.create(date=date(2026, 3, 7), is_workday=True)
    WorkCalendarDay.objects.create(date=date(2026, 3, 9), is_workday=False)
    full = WorkCalendar.load()
    for offset in range(500):  # Spring Festival, National Day, years the package does not know yet
        day = date(2026, 1, 1) + timedelta(days=offset)
        assert _next_working_day(day) == full.add_working_days(day, 1).date, day


def test_deficient_acceptance_figures_equal_plain_counts(centre, leader, window_staff):
    from cases.models import CaseMaterial, Commitment
    from tests.factories.cases import matter_with_materials
    from tests.factories.complaints import completed_case

    matter = matter_with_materials(centre, core=("申请书",), secondary=("住所证明",))
    secondary = matter.materials.get(is_core=False)
    today, now = timezone.localdate(), timezone.now()

    def case(*, deadline_in: int | None, state: str = "provided", received_at=None, **kwargs):
        made = completed_case(centre=centre, handler=window_staff, matter_type=matter, **kwargs)
        CaseMaterial.objects.create(
            case=made, material=secondary, name="住所证明", is_core=False, state=state, received_at=received_at
        )
        if deadline_in is not None:
            Commitment.objects.create(
                case=made, deadline=today + timedelta(days=deadline_in), submit_method=Commitment.SubmitMethod.WINDOW
            )
        return made

    case(deadline_in=3, state="deferred")  # still waiting for the material
    case(deadline_in=-5, state="received", received_at=now)  # brought after the deadline
    case(deadline_in=3, state="received", received_at=now)  # in time
    case(deadline_in=None, is_elderly=True)  # no commitment; an assisted case

    figures = {f.key: f.value for f in dashboard_for(user=leader, filters=DashboardFilters.from_query({})).cases}
    commitments = Commitment.objects.filter(case__centre=centre).select_related("case")
    in_time = [
        c
        for c in commitments
        if not any(
            m.state == "deferred" or (m.received_at and timezone.localdate(m.received_at) > c.deadline)
            for m in c.case.materials.all()
        )
    ]
    assert figures["cases_total"] == 4
    assert figures["cases_deficient"] == len(commitments) == 3
    assert figures["cases_corrected_in_time_rate"] == round(100 * len(in_time) / 3, 1) == 33.3
    assert figures["cases_assisted"] == 1
