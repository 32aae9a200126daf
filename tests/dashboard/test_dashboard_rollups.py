"""The dashboard computed from the day counts equals the dashboard computed from the raw rows.

The raw side counts every evaluation and complaint in Python, one by one, with its local
(Asia/Shanghai) day, and the cases with plain ORM counts: it replaces the three functions that
read the day counts, and the whole
dashboards are compared, labels, rates and links included, for several users and filters,
after each kind of change to the rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Case
from complaints import services
from complaints.models import Channel, Complaint, Evaluation
from dashboard.figures import DashboardFilters, build, dashboard_for, feedback
from dashboard.figures import cases as case_figures
from dashboard.figures.feedback import _EvaluationGroup
from staff.selectors import scope_to_user
from tests.factories.cases import MatterTypeFactory
from tests.factories.complaints import completed_case
from tests.factories.staff import DepartmentFactory, UserFactory, WindowFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment, TZ).date()


def _month(day: date, buckets) -> int:
    return next((i for i, (_label, lower, upper) in enumerate(buckets) if lower.date() <= day < upper.date()), -1)


def _in_filters(row, day: date, user, filters: DashboardFilters, departments: set[int | None]) -> bool:
    if not filters.start <= day <= filters.end:
        return False
    if filters.centre and user.is_city_wide and row.centre.code != filters.centre:
        return False
    return not filters.department or filters.department in departments


def raw_evaluation_groups(user, filters: DashboardFilters, buckets) -> list[_EvaluationGroup]:
    counts: Counter[tuple[int | None, int, int, int]] = Counter()  # window, channel, level, month
    for e in scope_to_user(Evaluation.objects.filter(excluded=False), user).select_related("centre", "window"):
        day = _local_day(e.rated_at)
        if _in_filters(e, day, user, filters, {e.window.department_id if e.window else None}):
            counts[(e.window_id, e.channel_id, e.level, _month(day, buckets))] += 1
    return [_EvaluationGroup(*key, n) for key, n in counts.items()]


def raw_complaint_groups(user, filters: DashboardFilters, buckets) -> list[tuple[str, int, int]]:
    counts: Counter = Counter()
    for c in scope_to_user(Complaint.objects.all(), user).select_related("centre", "window"):
        day = _local_day(c.received_at)
        departments = {c.department_id, c.window.department_id if c.window else None}
        if _in_filters(c, day, user, filters, departments):
            counts[(c.category, _month(day, buckets))] += 1
    return [(category, month, n) for (category, month), n in counts.items()]


_case_parts = case_figures._case_parts


def raw_case_parts(user, filters: DashboardFilters, start: datetime, end: datetime) -> list:
    """The case totals as plain counts of the cases (the other parts are already read from the cases)."""
    cases = scope_to_user(Case.objects.filter(created_at__gte=start, created_at__lt=end), user)
    if filters.centre and user.is_city_wide:
        cases = cases.filter(centre__code=filters.centre)
    if filters.department:
        cases = cases.filter(matter_type__department_id=filters.department)
    special = Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True)
    totals = {"cases_total": Count("id"), "cases_assisted": Count("id", filter=special)}
    return [(cases, totals), *_case_parts(user, filters, start, end)[1:]]


def _both(user, query: dict[str, str], monkeypatch) -> tuple[dict, dict]:
    filters = DashboardFilters.from_query(query)
    from_counts = asdict(dashboard_for(user=user, filters=filters))
    with monkeypatch.context() as patch:
        # Patched where dashboard_for (build) and _complaints (feedback) look them up.
        patch.setattr(build, "_evaluation_groups", raw_evaluation_groups)
        patch.setattr(feedback, "_complaint_groups", raw_complaint_groups)
        patch.setattr(build, "_case_parts", raw_case_parts)
        from_rows = asdict(dashboard_for(user=user, filters=filters))
    for figures in (from_counts, from_rows):
        figures.pop("computed_at")
    return from_counts, from_rows


@pytest.fixture
def rows(centre, other_centre, window):
    """Evaluations and complaints in two centres, around local midnights and month ends, some excluded."""
    department = DepartmentFactory(centre=centre, name="人社局")
    channels = [
        Channel.objects.create(code="dev", name="评价器", kind=Channel.Kind.WINDOW_DEVICE),
        Channel.objects.create(code="app", name="政务服务APP", kind=Channel.Kind.QR_CODE),
    ]
    for channel in channels:
        channel.centres.add(centre, other_centre)
    windows = {
        centre.id: [window, WindowFactory(centre=centre, code="B02", department=department), None],
        other_centre.id: [WindowFactory(centre=other_centre, code="B01"), None],
    }
    now = timezone.now()
    # Instants that are on another day (and month) in UTC than in Shanghai, and ordinary ones.
    edges = [
        datetime(2026, 3, 31, 23, 59, 59, tzinfo=TZ),
        datetime(2026, 4, 1, 0, 0, 0, tzinfo=TZ),
        datetime(2026, 4, 30, 23, 30, tzinfo=TZ),
        datetime(2026, 5, 1, 7, 59, tzinfo=TZ),  # 23:59 UTC on 30 April
        datetime(2026, 5, 1, 8, 0, tzinfo=TZ),
    ]
    moments = edges + [now - timedelta(days=d, hours=d % 13) for d in range(0, 200, 3)]
    evaluations, complaints = [], []
    for i, moment in enumerate(moments * 2):
        where = other_centre if i % 4 == 3 else centre
        evaluations.append(
            Evaluation(
                centre=where,
                channel=channels[i % 2],
                window=windows[where.id][(i // 4) % len(windows[where.id])],
                level=i % 5 + 1,
                excluded=i % 6 == 5,
                rated_at=moment,
            )
        )
        complaints.append(
            Complaint(
                tracking_no=f"RU-{i}",
                centre=where,
                channel=channels[0],
                content="x",
                category=["attitude", "ability", "efficiency", "discipline", ""][i % 5],
                window=windows[where.id][(i // 4) % len(windows[where.id])],
                department=department if i % 7 == 0 and where == centre else None,
                received_at=moment,
            )
        )
    Evaluation.objects.bulk_create(evaluations)
    Complaint.objects.bulk_create(complaints)
    handlers = {where.id: UserFactory(centre=where) for where in (centre, other_centre)}
    matters = {
        centre.id: [MatterTypeFactory(centre=centre, department=department), MatterTypeFactory(centre=centre)],
        other_centre.id: [MatterTypeFactory(centre=other_centre)],
    }
    for i, moment in enumerate(moments):
        where = other_centre if i % 4 == 3 else centre
        case = completed_case(
            centre=where,
            handler=handlers[where.id],
            matter_type=matters[where.id][i % len(matters[where.id])],
            is_elderly=i % 3 == 0,
            is_other_special=i % 5 == 0,
        )
        Case.objects.filter(id=case.id).update(created_at=moment)  # created_at is set on insert
    return {"department": department, "channels": channels, "windows": windows, "matters": matters}


def _queries(rows, centre, other_centre) -> list[tuple[str, dict[str, str]]]:
    department = str(rows["department"].id)
    return [
        ("leader", {}),
        ("leader", {"department": department}),
        ("leader", {"start": "2026-03-01", "end": "2026-05-31"}),
        ("leader", {"start": "2026-04-01", "end": "2026-04-30"}),  # exactly a month, midnights at both ends
        ("leader", {"start": "2026-03-31", "end": "2026-03-31"}),  # one day
        ("leader", {"start": "2026-05-01", "end": "2026-04-01"}),  # reversed: nothing
        ("leader", {"start": "2026-03-15", "end": "2026-05-10", "department": department}),
        ("city_leader", {}),
        ("city_leader", {"centre": other_centre.code}),
        ("city_leader", {"centre": centre.code, "department": department}),
        ("city_leader", {"start": "2024-01-01", "end": "2026-12-31"}),  # more than MAX_MONTHS months
    ]


def _assert_same(request, rows, centre, other_centre, monkeypatch) -> None:
    for who, query in _queries(rows, centre, other_centre):
        from_counts, from_rows = _both(request.getfixturevalue(who), query, monkeypatch)
        assert from_counts == from_rows, (who, query)


def test_the_dashboard_from_day_counts_equals_the_dashboard_from_the_rows(
    request, rows, centre, other_centre, monkeypatch
):
    _assert_same(request, rows, centre, other_centre, monkeypatch)
    # Not a comparison of two empty dashboards.
    april, _ = _both(request.getfixturevalue("leader"), {"start": "2026-04-01", "end": "2026-04-30"}, monkeypatch)
    assert [m["key"] for m in april["satisfaction_by_month"]] == ["2026-04"]
    assert april["satisfaction_by_month"][0]["total"] > 0
    assert sum(s["count"] for s in april["complaints_by_category"]) > 0
    assert {f["key"]: f["value"] for f in april["cases"]}["cases_total"] == 2
    default, _ = _both(request.getfixturevalue("city_leader"), {}, monkeypatch)
    assert len(default["satisfaction_by_month"]) == 6 and len(default["satisfaction_by_window"]) >= 4
    cases = {f["key"]: f["value"] for f in default["cases"]}
    assert cases["cases_total"] > cases["cases_assisted"] > 0


def test_the_figures_stay_equal_after_evaluations_and_complaints_change(
    request, rows, centre, other_centre, window, leader, monkeypatch
):
    midnight = datetime(2026, 4, 1, 0, 0, 0, tzinfo=TZ)
    # Excluded and counted again, a level changed, moved across a local midnight and a month end.
    Evaluation.objects.filter(level=5, excluded=False, centre=centre).update(excluded=True)
    Evaluation.objects.filter(level=1, excluded=True).update(excluded=False)
    Evaluation.objects.filter(level=2).update(level=4)
    Evaluation.objects.filter(rated_at=midnight).update(rated_at=midnight - timedelta(seconds=1))
    Complaint.objects.filter(received_at=midnight).update(received_at=midnight - timedelta(seconds=1))
    # One by one through the services: a new rating on the month's first second, then excluded.
    evaluation = services.evaluation_submit(
        centre=centre, channel=rows["channels"][0], window=window, level=1, rated_at=midnight
    )
    evaluation.excluded = True
    evaluation.save(update_fields=["excluded", "updated_at"])
    services.evaluation_submit(centre=centre, channel=rows["channels"][1], window=window, level=3, rated_at=midnight)
    # A window moved to another department, a window deleted, rows deleted.
    window.department = rows["department"]
    window.save()
    rows["windows"][other_centre.id][0].delete()
    Evaluation.objects.filter(level=4, centre=other_centre).delete()
    Complaint.objects.filter(category="ability").delete()
    Complaint.objects.filter(category="").update(category="efficiency")
    # Cases: a special group added and removed, another matter (department), across midnight, deleted.
    Case.objects.filter(is_other_special=True).update(is_other_special=False, is_disabled=True)
    Case.objects.filter(matter_type=rows["matters"][centre.id][1]).update(matter_type=rows["matters"][centre.id][0])
    Case.objects.filter(created_at=midnight).update(created_at=midnight - timedelta(seconds=1))
    Case.objects.filter(centre=other_centre, is_elderly=True).delete()
    _assert_same(request, rows, centre, other_centre, monkeypatch)
