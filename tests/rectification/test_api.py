"""The ledger API: reads, progress updates and close-out transitions with the same rules as the screens."""

from __future__ import annotations

import pytest

from rectification.models import Problem

S = Problem.Status
pytestmark = pytest.mark.django_db


def test_list_and_detail_show_the_ledger_figures(as_user, problem, leader):
    client = as_user(leader)
    rows = client.get("/api/v1/ledger/problems/?category=attitude").json()["results"]
    assert [r["code"] for r in rows] == [problem.code]
    assert rows[0]["progress"] == 0
    detail = client.get(f"/api/v1/ledger/problems/{problem.id}/").json()
    assert len(detail["measures"]) == 1


def test_progress_update_with_evidence_through_the_api(as_user, problem, responsible, pdf):
    client = as_user(responsible)
    measure = problem.measures.get()
    response = client.post(
        f"/api/v1/ledger/measures/{measure.id}/progress/", {"text": "已完成", "percentage": 100, "files": [pdf()]}
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["files"][0]["sha256"]) == 64
    problem.refresh_from_db()
    assert problem.status == S.IN_RECTIFICATION


def test_bad_progress_is_a_400_with_the_one_error_shape(as_user, problem, responsible):
    response = as_user(responsible).post(
        f"/api/v1/ledger/measures/{problem.measures.get().id}/progress/",
        {"text": "x", "percentage": 120},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "percentage" in response.json()["errors"]


def test_close_out_through_the_api_follows_the_same_rules(client, problem, responsible, leader, pdf):
    from tests.conftest import login

    Problem.objects.filter(id=problem.id).update(status=S.IN_RECTIFICATION)
    login(client, responsible)
    url = f"/api/v1/ledger/problems/{problem.id}/transitions/"
    assert (
        client.post(url, {"to": S.CLOSE_OUT_APPLIED}, content_type="application/json").status_code == 400
    )  # no evidence
    assert client.post(url, {"to": S.CLOSE_OUT_APPLIED, "note": "完成", "files": [pdf()]}).status_code == 200
    own = client.post(url, {"to": S.CLOSED}, content_type="application/json")
    assert own.status_code == 403
    assert client.post(url, {"to": S.OPEN}, content_type="application/json").status_code == 409
    login(client, leader)
    closed = client.post(url, {"to": S.CLOSED, "note": "核查通过"}, content_type="application/json")
    assert closed.status_code == 200
    assert closed.json()["status"] == S.CLOSED


def test_another_centre_gets_404_from_the_write_endpoints(as_user, problem, other_leader):
    client = as_user(other_leader)
    url = f"/api/v1/ledger/problems/{problem.id}/transitions/"
    assert client.post(url, {"to": S.IN_RECTIFICATION}, content_type="application/json").status_code == 404
    measure = problem.measures.get()
    response = client.post(
        f"/api/v1/ledger/measures/{measure.id}/progress/",
        {"text": "x", "percentage": 5},
        content_type="application/json",
    )
    assert response.status_code == 404
