"""The dashboard API: the page's figures as JSON, for leaders and administrators only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_dashboard_api_returns_the_figures(as_user, problem, city_leader):
    data = as_user(city_leader).get("/api/v1/ledger/dashboard/").json()
    assert data["ledger_total"]["open"] == 1
    assert {d["key"] for d in data["decisions"]} >= {"overdue_measures", "close_out_waiting", "sms_failed"}
    assert data["centres"][0]["key"] == "city"


def test_dashboard_api_is_for_leaders_and_administrators_only(as_user, problem, window_staff):
    response = as_user(window_staff).get("/api/v1/ledger/dashboard/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
