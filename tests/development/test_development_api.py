"""API contracts for scoring: own breakdown, appeals, run and lock; scoping and error shape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from development.models import Formula, Metric, ScoringRun, Source
from development.scoring import scoring_run_month
from tests.factories.development import at, evaluation, scheme_with

pytestmark = pytest.mark.django_db

SCHEME = [
    {
        "code": "eval_avg",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 100,
    },
]


@pytest.fixture
def run(centre, window_staff, leader):
    scheme_with(centre, SCHEME, min_evaluations=1)
    evaluation(window_staff, 4, at(2026, 1, 8))
    return scoring_run_month(centre=centre, month=date(2026, 1, 1), actor=leader)


def test_my_score_api_explains_each_indicator(run, as_user, window_staff):
    response = as_user(window_staff).get(reverse("api:staff-score-me"), {"month": "2026-01"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == "80.00" and body["month"] == "2026-01"
    assert body["lines"][0]["indicator"] == "eval_avg" and "4.00" in body["lines"][0]["why"]


def test_appeal_api_allows_one_per_month(run, as_user, window_staff):
    client = as_user(window_staff)
    url = reverse("api:staff-score-appeal-create")
    no_target = client.post(url, {"month": "2026-01", "reason": "评价器故障"}, content_type="application/json")
    assert no_target.status_code == 400  # an appeal names the indicator a leader can correct
    first = client.post(
        url, {"month": "2026-01", "reason": "评价器故障", "indicator_code": "eval_avg"}, content_type="application/json"
    )
    second = client.post(
        url, {"month": "2026-01", "reason": "再次", "indicator_code": "eval_avg"}, content_type="application/json"
    )
    assert first.status_code == 201
    assert second.status_code == 409 and second.json()["code"] == "conflict"


def test_run_and_lock_api_for_leaders_only(
    run, as_user, leader, window_staff, other_leader, django_capture_on_commit_callbacks
):
    url = reverse("api:staff-scoring-run", args=["city", "2026-01"])
    assert as_user(window_staff).post(url).status_code == 404
    assert as_user(other_leader).get(url).status_code == 404  # another centre looks like not found
    with django_capture_on_commit_callbacks(execute=True):
        assert as_user(leader).post(url).status_code == 202
    assert as_user(leader).get(url).json()["status"] == "preview"
    locked = as_user(leader).post(reverse("api:staff-scoring-run-lock", args=["city", "2026-01"]))
    assert locked.json()["status"] == ScoringRun.Status.LOCKED
    assert as_user(leader).post(url).status_code == 409
