"""Issue 17, one number per figure: walk every page and badge of a centre leader and a city leader.

Every figure on a page carries `data-metric="<name>"` and `data-value="<number>"` (govservice.metrics).
The walk fails when one name shows two values for one person, when the list a figure links to shows
another number of rows (`data-list-count`), and when a figure differs from a count written here
independently (raw SQL and plain ORM queries over the demo data, not the registry's querysets).
"""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, time, timedelta
from urllib.parse import urljoin

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from cases import demo as cases_demo
from complaints import demo as complaints_demo
from complaints.deadlines import COMPLAINT_AWAITING_REPLY, complaint_overdue_q, complaint_reply_due
from complaints.models import BadReview, Complaint, Escalation, Evaluation
from govservice import access, metrics
from govservice.navigation import nav_items_for
from notifications import demo as notifications_demo
from notifications.models import SmsMessage
from rectification import demo as rectification_demo
from rectification.models import Measure, Problem
from staff import demo as staff_demo
from staff.models import User

LEADERS = ["city-leader1", "cityleader"]
TAG = re.compile(r"<(?:a|span|p)\b[^>]*>")
ATTR = re.compile(r'([a-z-]+)="([^"]*)"')


@pytest.fixture
def demo_data(db):
    ctx = staff_demo.DemoContext(stdout=io.StringIO(), show_progress=False)
    for module in (staff_demo, notifications_demo, cases_demo, rectification_demo, complaints_demo):
        module.load(ctx)


def _login(username: str) -> tuple[Client, User]:
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client, user


def _figures(page: str) -> list[dict[str, str]]:
    found = []
    for tag in TAG.findall(page):
        attrs = {k: html.unescape(v) for k, v in ATTR.findall(tag)}
        if "data-metric" in attrs:
            found.append(attrs)
    return found


def _list_count(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    notes = [f for f in _list_notes(response.content.decode())]
    assert len(notes) == 1, (url, notes)
    return int(notes[0])


def _list_notes(page: str) -> list[str]:
    return re.findall(r'data-list-count="(\d+)"', page)


def _pages(user: User) -> list[str]:
    urls = ["/", "/feedback/", "/ledger/dashboard/"]
    urls += [item.url for item in nav_items_for(user) if not item.url.startswith("/admin/")]
    return list(dict.fromkeys(urls))


def _check_one_name_is_one_number_and_its_list_shows_as_many_rows(username: str) -> None:
    client, user = _login(username)
    values: dict[str, set[str]] = {}
    links: dict[str, set[tuple[str, str]]] = {}
    for url in _pages(user):
        response = client.get(url)
        assert response.status_code == 200, url
        for figure in _figures(response.content.decode()):
            name = figure["data-metric"]
            values.setdefault(name, set()).add(figure["data-value"])
            if figure.get("href"):
                rows = figure.get("data-rows", figure["data-value"])
                links.setdefault(name, set()).add((urljoin(url, figure["href"]), rows))
    # The figures are all on the leader's pages.
    shown = {name.partition("@")[0] for name in values}
    assert {
        "complaints_open",
        "complaints_unclassified",
        "complaints_overdue",
        "bad_reviews_open",
        "bad_reviews_overdue",
        "escalations_open",
        "appeals_pending",
        "bad_review_appeals_pending",
        "closeouts_pending",
        "ledger_measures_overdue",
        "cases_overdue",
        "corrections_due_today",
        "sms_failed",
        "satisfaction_month",
        "rota_gaps_14d",
        "complaints_open.attitude",
    } <= shown
    assert {name: seen for name, seen in values.items() if len(seen) > 1} == {}
    # The API gives the same numbers (the big screen and reporting systems read it).
    api = client.get("/api/v1/metrics/", {"name": sorted(values)}, HTTP_ACCEPT="application/json")
    assert api.status_code == 200
    from_api = {row["name"]: "" if row["value"] is None else str(row["value"]) for row in api.json()}
    assert {name: next(iter(seen)) for name, seen in values.items()} == from_api
    wrong = []
    for name, targets in links.items():
        for href, rows in targets:
            listed = _list_count(client, href)
            if str(listed) != rows:
                wrong.append((name, href, rows, listed))
    assert wrong == []
    # Open complaints by category, unclassified included, add up to the open complaints.
    by_category = [n for n in values if n.startswith("complaints_open.") and "@" not in n]
    parts = sum(int(next(iter(values[n]))) for n in [*by_category, "complaints_unclassified"])
    assert parts == int(next(iter(values["complaints_open"])))


def _check_the_city_leader_sees_each_centre_side_by_side_and_the_centres_add_up() -> None:
    client, user = _login("cityleader")
    page = client.get("/ledger/dashboard/").content.decode()
    figures = {f["data-metric"]: int(f["data-value"]) for f in _figures(page)}
    for name in ("complaints_open", "bad_reviews_overdue", "ledger_measures_overdue", "sms_failed"):
        assert f"{name}@city" in figures and f"{name}@gxq" in figures, name
        assert figures[f"{name}@city"] + figures[f"{name}@gxq"] == metrics.get(name).count_rows(user), name
    assert figures["complaints_open@gxq"] > 0 and figures["complaints_open@city"] > 0


def _score_appeals_waiting_on(user: User) -> int:
    """Pending score appeals of the centres this leader decides: their own centre (a centre leader), or
    the centres that have no active centre leader of their own (a city leader)."""
    from development.models import ScoreAppeal

    pending = ScoreAppeal.objects.filter(status="pending")
    if not access.is_city_wide(user):
        return pending.filter(centre=user.centre).count()
    led = User.objects.filter(is_active=True, roles__role="leader").values_list("centre_id", flat=True)
    return pending.exclude(centre_id__in=led).count()


def _sql_count(sql: str, params: list[int | None]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _check_the_figures_agree_with_counts_written_independently(username: str) -> None:
    user = User.objects.get(username=username)
    today = timezone.localdate()
    if not access.is_city_wide(user):
        centre_sql, centre_params = " AND centre_id = %s", [user.centre_id]
        centres = {"centre_id": user.centre_id}
        problem_centres = {"problem__centre_id": user.centre_id}
    else:
        centre_sql, centre_params, centres, problem_centres = "", [], {}, {}
    table = Complaint._meta.db_table
    expected = {
        "complaints_open": _sql_count(
            f"SELECT COUNT(*) FROM {table} WHERE status NOT IN ('closed', 'merged')" + centre_sql,  # noqa: S608
            centre_params,
        ),
        "complaints_unclassified": _sql_count(
            f"SELECT COUNT(*) FROM {table} WHERE status NOT IN ('closed', 'merged') AND category = ''"  # noqa: S608
            + centre_sql,
            centre_params,
        ),
        "complaints_open.attitude": _sql_count(
            f"SELECT COUNT(*) FROM {table} WHERE status NOT IN ('closed', 'merged') AND category = 'attitude'"  # noqa: S608
            + centre_sql,
            centre_params,
        ),
        "bad_reviews_open": BadReview.objects.filter(**centres).exclude(status__in=["closed", "excluded"]).count(),
        "bad_reviews_overdue": BadReview.objects.filter(
            **centres,
            status__in=["open", "contacted", "rectifying"],
            rectified_at__isnull=True,
            rectify_due__lt=today,
        ).count(),
        "bad_review_appeals_pending": BadReview.objects.filter(**centres, status="appealed").count(),
        "appeals_pending": _score_appeals_waiting_on(user),
        "escalations_open": Escalation.objects.filter(**centres, status__in=["received", "in_progress"]).count(),
        "ledger_problems_open": Problem.objects.filter(**centres).exclude(status="closed").count(),
        "closeouts_pending": Problem.objects.filter(**centres, status="close_out_applied").count(),
        "ledger_measures_overdue": Measure.objects.filter(
            **problem_centres, completed_at__isnull=True, deadline__lt=today
        )
        .exclude(problem__status="closed")
        .count(),
        "sms_failed": SmsMessage.objects.filter(**centres, status="failed").count(),
    }
    got = {name: metrics.value(name, user) for name in expected}
    assert got == expected
    # The demo fills each (score appeals wait on a centre leader only, and a demo month may have none).
    assert all(v > 0 for k, v in expected.items() if k not in ("closeouts_pending", "appeals_pending")), expected
    month = Evaluation.objects.filter(
        **centres, excluded=False, follow_up_of__isnull=True, rated_at__date__gte=today.replace(day=1)
    )
    rate = round(100 * month.filter(level=5).count() / month.count(), 1) if month.count() else None
    assert metrics.value("satisfaction_month", user) == rate


def _check_the_overdue_complaints_are_those_past_their_reply_deadline_row_by_row() -> None:
    now = timezone.now()
    overdue = set(Complaint.objects.filter(complaint_overdue_q(now)).values_list("id", flat=True))
    expected = {
        c.id for c in Complaint.objects.filter(status__in=COMPLAINT_AWAITING_REPLY) if complaint_reply_due(c).at < now
    }
    assert overdue == expected and overdue
    later = now + timedelta(days=10)
    assert set(Complaint.objects.filter(complaint_overdue_q(later)).values_list("id", flat=True)) >= overdue


def _check_a_bad_review_rectified_before_its_due_date_is_not_overdue() -> None:
    leader = User.objects.get(username="city-leader1")
    overdue = metrics.get("bad_reviews_overdue")
    before = overdue.count_rows(leader)
    rows = overdue.queryset(leader)
    assert isinstance(rows, QuerySet)
    review = rows.first()
    assert review is not None
    # Rectified before its due date, then the appeal was rejected: back to "rectifying".
    BadReview.objects.filter(id=review.id).update(
        status=BadReview.Status.RECTIFYING,
        rectified_at=timezone.make_aware(datetime.combine(review.rectify_due - timedelta(days=1), time(10))),
    )
    assert overdue.count_rows(leader) == before - 1


@pytest.mark.django_db
def test_on_the_demo_data_every_figure_is_one_number_its_list_and_an_independent_count(demo_data):
    """One test over one load of the demo (a minute on 2 cores): each check is a function above."""
    for username in LEADERS:
        _check_one_name_is_one_number_and_its_list_shows_as_many_rows(username)
        _check_the_figures_agree_with_counts_written_independently(username)
    _check_the_city_leader_sees_each_centre_side_by_side_and_the_centres_add_up()
    _check_the_overdue_complaints_are_those_past_their_reply_deadline_row_by_row()
    # Last: it changes a row.
    _check_a_bad_review_rectified_before_its_due_date_is_not_overdue()
