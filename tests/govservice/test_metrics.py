"""The metrics registry (govservice.metrics) and the one overdue rule it counts complaints with."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import Http404, QueryDict
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.deadlines import complaint_overdue_q, complaint_reply_due
from complaints.models import Complaint, Evaluation
from govservice import metrics
from govservice.workdays import WorkCalendar


def _cutoff(q) -> datetime:
    return dict(child for child in q.children if isinstance(child, tuple))["received_at__lt"]


# The official calendar's adjusted days of 2026 (春节 and 国庆 included) through the package's tables.
CALENDAR = WorkCalendar({}, frozenset())


@settings(max_examples=300, deadline=None)
@given(
    received=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)),
    hours_later=st.integers(min_value=0, max_value=24 * 40),
)
def test_a_complaint_is_overdue_exactly_when_its_reply_deadline_has_passed(received, hours_later):
    now = received + timedelta(hours=hours_later, minutes=7)
    due = complaint_reply_due(Complaint(received_at=received), CALENDAR).at
    assert (received < _cutoff(complaint_overdue_q(now, CALENDAR))) == (due < now)


def test_every_issue_17_figure_is_registered_with_a_list_and_a_period():
    for name in [
        "complaints_open",
        "complaints_unclassified",
        "complaints_overdue",
        "bad_reviews_open",
        "bad_reviews_overdue",
        "escalations_open",
        "appeals_pending",
        "closeouts_pending",
        "ledger_measures_overdue",
        "ledger_problems_open",
        "cases_overdue",
        "corrections_due_today",
        "sms_failed",
        "rota_gaps_14d",
        "satisfaction_month",
        "complaints_open.attitude",
    ]:
        metric = metrics.get(name)
        assert metric.url.endswith(f"?metric={name}")
        assert metric.period_label and str(metric.label)


def test_a_centre_suffix_is_the_same_figure_for_one_centre():
    metric = metrics.get("complaints_open@gxq")
    assert (metric.name, metric.centre) == ("complaints_open@gxq", "gxq")
    assert metric.url.endswith("?metric=complaints_open%40gxq")
    with pytest.raises(KeyError):
        metrics.get("no_such_figure")
    with pytest.raises(ValueError, match="derived"):
        metrics.register(metrics.Metric("x@y", "x", metrics.NOW, lambda user: [], "home"))


@pytest.mark.django_db
def test_a_list_refuses_an_unknown_figure_and_a_figure_of_other_rows(leader):
    complaints = Complaint.objects.all()
    assert metrics.rows_for_list(QueryDict(""), complaints, leader) == (complaints, None)
    with pytest.raises(Http404):
        metrics.rows_for_list(QueryDict("metric=nonsense"), complaints, leader)
    with pytest.raises(Http404):  # evaluations' figure asked of the complaint list
        metrics.rows_for_list(QueryDict("metric=evaluations_month"), complaints, leader)
    rows, metric = metrics.rows_for_list(QueryDict("metric=satisfaction_month"), Evaluation.objects.all(), leader)
    assert metric is not None and metric.name == "satisfaction_month" and rows.count() == 0


@pytest.mark.django_db
def test_one_person_reads_one_value_per_name_in_a_request(leader, centre, monkeypatch):
    calls = []
    metric = metrics.Metric("test_counted", "t", metrics.NOW, lambda user: calls.append(1) or [1, 2], "home")
    monkeypatch.setitem(metrics._registry, "test_counted", metric)  # registered for this test only
    assert metrics.value("test_counted", leader) == metrics.value("test_counted", leader) == 2
    assert len(calls) == 1
    metrics.forget_values(leader)
    assert metrics.value("test_counted", leader) == 2 and len(calls) == 2


def test_the_cutoff_day_is_the_last_whose_deadline_passed():
    # Received on Monday 2026-03-02: 5 working days → Monday 2026-03-09 at 17:30.
    now = timezone.make_aware(datetime(2026, 3, 9, 18, 0))
    cutoff = timezone.localtime(_cutoff(complaint_overdue_q(now, CALENDAR)))
    assert cutoff.date() == date(2026, 3, 3)
