"""Every number on the feedback overview and the leader dashboard opens a list of exactly the rows it counts."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import BadReview, Complaint, Escalation, Evaluation
from dashboard.figures import DashboardFilters, dashboard_for
from tests.factories.complaints import ComplaintFactory, EvaluationFactory
from tests.factories.staff import WindowFactory

pytestmark = pytest.mark.django_db


def _listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["filter"].form
    assert form.is_valid(), (url, form.errors)  # an invalid filter would silently list everything
    return response.context["page"].paginator.count


@pytest.fixture
def feedback(centre, window, qr_channel, hotline, leader, centre_admin):
    """Rows inside and outside each figure's definition."""
    now = timezone.now()
    long_ago = now - timedelta(days=400)
    other_window = WindowFactory(centre=centre, code="Z09", is_active=False)  # retired, ratings stay listed
    for level, kwargs in [
        (5, {"window": window}),
        (4, {"window": window}),
        (3, {"window": other_window}),
        (5, {}),  # no window
        (2, {"window": window, "excluded": True}),
        (5, {"window": window, "rated_at": long_ago}),
    ]:
        EvaluationFactory(centre=centre, channel=qr_channel, level=level, **kwargs)
    first = Evaluation.objects.filter(window=window, level=5, rated_at__gt=long_ago).first()
    EvaluationFactory(centre=centre, channel=qr_channel, window=window, level=4, follow_up_of=first)

    bad = [
        # Five citizens (one phone would be one rating a day: 一次一评).
        services.evaluation_submit(
            centre=centre,
            channel=qr_channel,
            level=1,
            window=window,
            is_real_name=True,
            evaluator_phone=f"1390000000{i}",
        )
        for i in range(5)
    ]
    yesterday = timezone.localdate() - timedelta(days=1)
    BadReview.objects.filter(evaluation=bad[0]).update(rectify_due=yesterday)  # open, overdue
    BadReview.objects.filter(evaluation=bad[1]).update(status=BadReview.Status.RECTIFIED, rectify_due=yesterday)
    BadReview.objects.filter(evaluation=bad[2]).update(status=BadReview.Status.CLOSED, rectify_due=yesterday)
    BadReview.objects.filter(evaluation=bad[3]).update(status=BadReview.Status.EXCLUDED)

    for status, category in [
        (Complaint.Status.RECEIVED, ""),
        (Complaint.Status.RECEIVED, "attitude"),
        (Complaint.Status.CLOSED, ""),
        (Complaint.Status.MERGED, "efficiency"),
        (Complaint.Status.CLOSED, "attitude"),
    ]:
        ComplaintFactory(centre=centre, channel=hotline, status=status, category=category)

    today = timezone.localdate()
    for n, (status, due, solved_at) in enumerate(
        [
            (Escalation.Status.RECEIVED, today - timedelta(days=3), None),  # overdue
            (Escalation.Status.IN_PROGRESS, today, None),  # due today
            (Escalation.Status.RECEIVED, today + timedelta(days=30), None),  # far off
            (Escalation.Status.RESOLVED, today - timedelta(days=3), now),  # answered, solved this year
            (Escalation.Status.CLOSED, today, now),
            (Escalation.Status.CLOSED, today - timedelta(days=400), long_ago),  # solved in an earlier year
        ]
    ):
        Escalation.objects.create(
            tracking_no=f"E-{n}",
            centre=centre,
            content="办不成",
            received_by=leader,
            received_at=now - timedelta(days=5),
            due_date=due,
            status=status,
            solved_at=solved_at,
        )


def _overview_links(page: str) -> dict[str, str]:
    return {
        name: html.unescape(href) for href, name in re.findall(r'href="([^"]+)" data-testid="link-([a-z-]+)"', page)
    }


def _overview_metrics(page: str) -> dict[str, tuple[str, int]]:
    """The registry's tiles (govservice.metrics): name → (the list it opens, its number)."""
    return {
        name: (html.unescape(href), int(value))
        for href, name, value in re.findall(r'href="([^"]+)" data-metric="([^"]+)" data-value="(\d+)"', page)
    }


@pytest.mark.parametrize(
    "metric",
    ["evaluations_month", "bad_reviews_open", "bad_reviews_overdue", "complaints_open", "complaints_unclassified"],
)
def test_each_overview_figure_opens_exactly_its_rows(as_user, leader, feedback, metric):
    client = as_user(leader)
    href, counted = _overview_metrics(client.get("/feedback/").content.decode())[metric]
    assert counted > 0  # the fixture puts rows inside and outside every figure
    assert _listed(client, href) == counted


@pytest.mark.parametrize(
    ("link", "figure"),
    [
        ("callback", lambda c: c["callback"].real_name_bad),
        ("escalations-solved", lambda c: c["escalations_solved"]),
    ],
)
def test_each_overview_rate_opens_exactly_its_rows(as_user, leader, feedback, link, figure):
    client = as_user(leader)
    response = client.get("/feedback/")
    counted = figure(response.context)
    assert counted > 0
    assert _listed(client, _overview_links(response.content.decode())[link]) == counted


def test_the_unclassified_figure_counts_open_complaints_only(as_user, leader, feedback):
    client = as_user(leader)
    href, counted = _overview_metrics(client.get("/feedback/").content.decode())["complaints_unclassified"]
    assert href.endswith("?metric=complaints_unclassified")
    still_open = Complaint.objects.filter(category="").exclude(status__in=["closed", "merged"]).count()
    assert counted == still_open < Complaint.objects.filter(category="").count()


def _dashboard_links(leader) -> list[tuple[str, int | float | None, str]]:
    data = dashboard_for(user=leader, filters=DashboardFilters.from_query({}))
    feedback_lists = ("/feedback/",)
    figures = [(f.key, f.value, f.url) for f in data.decisions]
    figures += [(f"category {s.key or 'none'}", s.count, s.url) for s in data.complaints_by_category]
    figures += [(f"complaints {m.month}", m.total, m.url) for m in data.complaints_by_month]
    for name, rows in (
        ("month", data.satisfaction_by_month),
        ("window", data.satisfaction_by_window),
        ("channel", data.satisfaction_by_channel),
    ):
        figures += [(f"{name} {s.label}", s.total, s.url) for s in rows]
    return [(name, value, url) for name, value, url in figures if url.startswith(feedback_lists)]


def test_each_leader_dashboard_figure_opens_exactly_its_rows(as_user, leader, feedback):
    client = as_user(leader)
    links = _dashboard_links(leader)
    names = {name for name, _value, _url in links}
    # The figures this change made precise are all there.
    assert {"escalations_due", "category none"} <= names
    assert any(name.startswith("window") and "window=none" in url for name, _v, url in links)
    mismatched = [(name, value, _listed(client, url)) for name, value, url in links]
    assert [m for m in mismatched if m[1] != m[2]] == []


def test_the_window_filter_offers_no_window_and_retired_windows(as_user, leader, feedback):
    client = as_user(leader)
    retired = Evaluation.objects.get(window__code="Z09").window
    assert _listed(client, f"/feedback/evaluations/?window={retired.pk}") == 1
    assert _listed(client, "/feedback/evaluations/?window=none") == Evaluation.objects.filter(window=None).count()


def test_the_new_filters_have_translated_labels(as_user, leader, feedback):
    client = as_user(leader)
    client.cookies["django_language"] = "en"
    pages = {
        "/feedback/evaluations/": ["Follow-up rating", "No window"],
        "/feedback/bad-reviews/": ["Handling", "Rectification overdue", "Real-name rating"],
        "/feedback/escalations/": ["Answer deadline", "Near or past the limit", "Solved from"],
        "/feedback/complaints/": ["Not finished"],
    }
    for url, labels in pages.items():
        text = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert [label for label in labels if label not in text] == [], url
