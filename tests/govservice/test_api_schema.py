"""The staff API's schema is for signed-in staff; the channels' part is public; and the schema describes the
answers really sent (paginated lists as {count, next, previous, results}), checked against real responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.urls import reverse

from tests.factories.complaints import ComplaintFactory, EvaluationFactory, completed_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_the_staff_api_schema_and_docs_need_a_login(client, as_user, leader):
    for name in ("api-schema", "api-docs"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert as_user(leader).get(reverse("api-schema"), {"format": "json"}).status_code == 200


def test_the_channels_schema_is_public_and_holds_only_the_channels_endpoints(client):
    schema = client.get(reverse("api-schema-channels"), {"format": "json"}).json()
    paths = set(schema["paths"])
    assert "/api/v1/intake/evaluations/" in paths and "/open311/v2/requests.{fmt}" in paths
    assert "/api/v1/queue/events/" in paths  # the queue machines are channel devices too
    assert all(p.startswith(("/api/v1/intake/", "/api/v1/queue/", "/open311/")) for p in paths), paths
    assert client.get(reverse("api-docs-channels")).status_code == 200


def test_the_image_leaves_out_the_repository_the_virtualenv_and_the_var_directory():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= {line.strip("/") for line in ignored}


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable: true` in JSON Schema's words (a null is one more allowed type)."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {key: _as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _validator(schema: dict, ref: str) -> jsonschema.Draft202012Validator:
    """A validator for one component, resolving the schema's own #/components references."""
    document = {"components": _as_json_schema(schema["components"]), "$ref": ref}
    return jsonschema.Draft202012Validator(document)


def _response_schema(schema: dict, path: str, method: str = "get", code: str = "200") -> dict:
    return schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]


@pytest.fixture
def feedback(centre, window_staff, leader):
    ComplaintFactory.create_batch(3, centre=centre)
    EvaluationFactory.create_batch(3, centre=centre)
    return completed_case(centre=centre, handler=window_staff)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/",
        "/api/v1/feedback/complaints/",
        "/api/v1/feedback/evaluations/",
        "/api/v1/notifications/sms/",
        "/api/v1/notifications/notices/",
    ],
)
def test_list_answers_match_the_schema_and_the_schema_says_they_are_paginated(as_user, centre_admin, feedback, path):
    client = as_user(centre_admin)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    described = _response_schema(schema, path)
    component = schema["components"]["schemas"][described["$ref"].rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(component["properties"])
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert isinstance(body, dict) and "results" in body
    _validator(schema, described["$ref"]).validate(body)
    # A wrong shape fails the same check: the validator is not a rubber stamp.
    with pytest.raises(jsonschema.ValidationError):
        _validator(schema, described["$ref"]).validate(body["results"])


def test_a_detail_answer_matches_the_schema(as_user, centre_admin, feedback):
    client = as_user(centre_admin)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    path = "/api/v1/cases/{public_id}/"
    described = _response_schema(schema, path)
    response = client.get(f"/api/v1/cases/{feedback.public_id}/")
    assert response.status_code == 200, response.content[:300]
    _validator(schema, described["$ref"]).validate(response.json())
