"""Staff API: list with filters, detail, classify, answer; scoping; one error shape; OpenAPI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Channel, Complaint
from tests.factories.complaints import channel_for, problem_for

pytestmark = pytest.mark.django_db


def _complaint(centre, **kwargs) -> Complaint:
    return services.complaint_submit(
        centre=centre,
        channel=channel_for(centre, Channel.Kind.HOTLINE),
        content="工作人员态度冷漠，推诿",
        contact_phone="13912345678",
        **kwargs,
    )


def test_the_list_is_scoped_filtered_and_masked(as_user, centre, other_centre, leader, django_assert_max_num_queries):
    for _ in range(3):
        _complaint(centre)
    _complaint(other_centre)
    client = as_user(leader)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("api:complaints-complaint-list"), {"category": "none"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"][0]["contact_phone"] == "139****5678"
    assert body["results"][0]["suggested_category"] == "attitude"
    assert client.get(reverse("api:complaints-complaint-list"), {"status": "bogus"}).json()["code"] == "invalid"


def test_classify_and_answer(as_user, centre, leader):
    complaint = _complaint(centre)
    problem = problem_for(centre, leader)
    client = as_user(leader)
    url = reverse("api:complaints-complaint-classify", args=[complaint.public_id])
    response = client.post(url, {"category": "attitude", "problem": problem.code}, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["category"] == "attitude"
    assert response.json()["problem"] == problem.code
    reply = client.post(
        reverse("api:complaints-complaint-reply", args=[complaint.public_id]),
        {"reply": "已约谈当事人"},
        content_type="application/json",
    )
    assert reply.json()["status"] == "replied"


def test_bad_input_has_the_one_error_shape(as_user, centre, leader):
    complaint = _complaint(centre)
    client = as_user(leader)
    url = reverse("api:complaints-complaint-classify", args=[complaint.public_id])
    bad_enum = client.post(url, {"category": "rudeness"}, content_type="application/json")
    assert bad_enum.status_code == 400
    assert set(bad_enum.json()) == {"code", "message", "errors"}
    assert "category" in bad_enum.json()["errors"]
    unknown = client.post(url, {"category": "attitude", "colour": "red"}, content_type="application/json")
    assert unknown.status_code == 400 and "colour" in unknown.json()["errors"]
    foreign_problem = client.post(url, {"category": "attitude", "problem": "NOPE"}, content_type="application/json")
    assert foreign_problem.json()["errors"] == {"problem": ["所选对象不属于该中心或不存在。"]}


def test_another_centres_complaint_is_a_404_in_the_api(as_user, other_centre, leader):
    foreign = _complaint(other_centre)
    client = as_user(leader)
    assert client.get(reverse("api:complaints-complaint-detail", args=[foreign.public_id])).status_code == 404
    response = client.post(
        reverse("api:complaints-complaint-classify", args=[foreign.public_id]),
        {"category": "attitude"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_answering_twice_is_a_conflict(as_user, centre, leader):
    complaint = _complaint(centre)
    client = as_user(leader)
    url = reverse("api:complaints-complaint-reply", args=[complaint.public_id])
    client.post(url, {"reply": "a"}, content_type="application/json")
    assert client.post(url, {"reply": "b"}, content_type="application/json").status_code == 409


def test_distribution_by_channel(as_user, centre, leader, window):
    channel = channel_for(centre)
    for level in (5, 4, 1):
        services.evaluation_submit(centre=centre, channel=channel, level=level, window=window)
    rows = as_user(leader).get(reverse("api:complaints-evaluation-distribution"), {"by": "channel"}).json()
    assert rows[0]["counts"] == {"5": 1, "4": 1, "3": 0, "2": 0, "1": 1}


def test_the_endpoints_are_in_the_openapi_schema(as_user, leader):
    schema = as_user(leader).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/feedback/complaints/{public_id}/classification/" in schema["paths"]
    assert "/api/v1/feedback/evaluations/distribution/" in schema["paths"]
