"""The metrics registry (govservice.metrics) and the one overdue rule it counts complaints with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404, QueryDict
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.deadlines import complaint_overdue_q
from complaints.models import Complaint, Evaluation
from govservice import metrics


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(st.sampled_from([s.value for s in Complaint.Status]), st.integers(min_value=-72, max_value=72)),
        min_size=1,
        max_size=6,
    )
)
def test_the_overdue_filter_and_the_one_row_check_agree(rows, window_staff):
    """complaints_overdue counts with the Q; lists and the API flag rows with the one-row check: same rule."""
    from complaints.deadlines import complaint_is_overdue
    from tests.factories import development as make

    now = timezone.now()
    Complaint.objects.all().delete()
    made = [
        make.complaint(window_staff, now - timedelta(days=3), status=status, reply_due_at=now + timedelta(hours=hours))
        for status, hours in rows
    ]
    counted = set(Complaint.objects.filter(complaint_overdue_q(now)).values_list("id", flat=True))
    assert counted == {c.id for c in made if complaint_is_overdue(c, now)}


def test_every_issue_17_figure_is_registered_with_a_list_and_a_period():
    for name in [
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
