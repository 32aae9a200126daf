"""The dashboard's centre and department filters travel with every number to the list it opens.

A city leader narrows the dashboard to one centre and one department; rows lie inside and
outside both. Each link kind must carry the filters its figure applied, and the list it
opens must hold exactly the figure's number of rows.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from cases.models import Commitment
from complaints.models import BadReview, Channel, Complaint, Escalation, Evaluation
from dashboard.figures import DashboardFilters, dashboard_for
from notifications.models import SmsMessage
from rectification.models import Problem
from tests.factories.cases import MatterTypeFactory
from tests.factories.complaints import completed_case
from tests.factories.notifications import SmsMessageFactory
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import DepartmentFactory, UserFactory, WindowFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def narrowed(centre, other_centre, leader, city_leader):
    """Two centres, each with department "in" and "out"; rows of every kind in each combination."""
    now = timezone.now()
    today = timezone.localdate()
    channel = Channel.objects.create(code="dev", name="评价器", kind=Channel.Kind.WINDOW_DEVICE)
    channel.centres.add(centre, other_centre)
    chosen = None
    for where in (other_centre, centre):
        inside, outside = DepartmentFactory(centre=where, name="人社"), DepartmentFactory(centre=where, name="市监")
        chosen = chosen or inside
        handler = UserFactory(centre=where, window=WindowFactory(centre=where, department=inside))
        for department, times in ((inside, 2), (outside, 1)):
            window = WindowFactory(centre=where, department=department)
            matter = MatterTypeFactory(centre=where, department=department)
            for i in range(times):
                Evaluation.objects.create(centre=where, channel=channel, window=window, level=5 - i, rated_at=now)
                Complaint.objects.create(
                    tracking_no=f"N-{where.code}-{department.id}-{i}",
                    centre=where,
                    channel=channel,
                    content="x",
                    category="attitude",
                    # By its window's department, or by its own with no window.
                    window=window if i == 0 else None,
                    department=None if i == 0 else department,
                    received_at=now,
                )
                case = completed_case(centre=where, handler=handler, matter_type=matter, is_elderly=True)
                Commitment.objects.create(
                    case=case, deadline=today + timedelta(days=3), submit_method=Commitment.SubmitMethod.WINDOW
                )
                problem = ProblemFactory(
                    centre=where,
                    responsible_department=department,
                    responsible_leader=leader,
                    responsible_person=handler,
                    status=Problem.Status.CLOSE_OUT_APPLIED,
                )
                MeasureFactory(problem=problem, owner=handler, deadline=today - timedelta(days=2))
        Evaluation.objects.create(centre=where, channel=channel, level=4, rated_at=now)  # no window, no department
        bad = Evaluation.objects.create(centre=where, channel=channel, level=1, rated_at=now)
        BadReview.objects.create(
            evaluation=bad, centre=where, status=BadReview.Status.RECTIFIED, contact_due=today, rectify_due=today
        )
        Escalation.objects.create(
            tracking_no=f"NE-{where.code}",
            centre=where,
            content="办不成",
            received_by=leader,
            received_at=now,
            due_date=today,
        )
        SmsMessageFactory(centre=where, status=SmsMessage.Status.FAILED)
    return {"centre": other_centre.code, "department": str(chosen.id)}


def _listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    if "filter" in response.context:
        form = response.context["filter"].form
        assert form.is_valid(), (url, form.errors)  # an invalid filter would silently list everything
    return response.context["page"].paginator.count


def _figures(data) -> list[tuple[str, object, str]]:
    out = [(f"decision {f.key}", f.value, f.url) for f in data.decisions if f.key in FILLED_DECISIONS]
    out += [(f"case {f.key}", f.value, f.url) for f in data.cases if f.key in ("cases_total", "cases_deficient")]
    out += [(f"category {s.key}", s.count, s.url) for s in data.complaints_by_category if s.count]
    out += [(f"complaints {m.month}", m.total, m.url) for m in data.complaints_by_month if m.total]
    for name, rows in (
        ("month", data.satisfaction_by_month),
        ("window", data.satisfaction_by_window),
        ("channel", data.satisfaction_by_channel),
    ):
        out += [(f"{name} {s.key}", s.total, s.url) for s in rows]
    return out


# The decisions the fixture fills. They are the registry's figures (govservice.metrics): counted as of
# now over the whole centre (no department, no dates) and narrowed to a centre as `metric=<name>@<code>`.
FILLED_DECISIONS = (
    "overdue_measures",
    "close_out_waiting",
    "escalations_due",
    "bad_reviews_without_callback",
    "sms_failed",
)


def test_every_link_carries_the_centre_and_department_it_was_counted_with(as_user, city_leader, narrowed):
    data = dashboard_for(user=city_leader, filters=DashboardFilters.from_query(narrowed))
    figures = _figures(data)
    kinds = {name.split()[0] for name, _value, _url in figures}
    assert {"decision", "case", "category", "complaints", "month", "window", "channel"} <= kinds
    client = as_user(city_leader)
    wrong = []
    for name, value, url in figures:
        query = parse_qs(urlsplit(url).query)
        if name.startswith("decision "):
            expected = {"metric": [m for m in query.get("metric", []) if m.endswith("@" + narrowed["centre"])]}
            carried = {"metric": query.get("metric")}
        else:
            expected = {"centre": [narrowed["centre"]], "department": [narrowed["department"]]}
            carried = {k: query.get(k) for k in expected}
        listed = _listed(client, url)
        if carried != expected or listed != value or not value:
            wrong.append((name, value, listed, carried))
    assert wrong == []


def test_unnarrowed_links_list_both_centres_and_every_department(as_user, city_leader, narrowed):
    """The same rows without filters: the numbers above were narrowed, not merely equal by chance."""
    narrowed_data = dashboard_for(user=city_leader, filters=DashboardFilters.from_query(narrowed))
    whole = dashboard_for(user=city_leader, filters=DashboardFilters.from_query({}))
    for (name, small, _u), (_n, big, url) in zip(_figures(narrowed_data)[:7], _figures(whole)[:7], strict=True):
        assert "centre=" not in url and "department=" not in url, name
        assert big > small, name


def test_a_centre_leader_links_carry_the_department_but_no_centre(as_user, leader, narrowed, centre):
    own = DashboardFilters.from_query({"department": str(leader.centre.departments.get(name="人社").id)})
    data = dashboard_for(user=leader, filters=own)
    client = as_user(leader)
    for name, value, url in _figures(data):
        if name.startswith("decision sms"):
            continue
        assert "centre=" not in url, name
        assert ("department=" in url) == (not name.startswith("decision ")), name
        assert _listed(client, url) == value, name
