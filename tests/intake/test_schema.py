"""OpenAPI: every intake and Open311 endpoint is documented, without generator warnings."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_the_intake_schema_generates_without_warnings_or_errors(settings):
    GENERATOR_STATS._warn_cache.clear()
    GENERATOR_STATS._error_cache.clear()
    schema = SchemaGenerator(urlconf="tests.intake.urls").get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    paths = set(schema["paths"])
    assert {
        "/api/v1/intake/evaluations/",
        "/api/v1/intake/complaints/",
        "/api/v1/intake/updates/",
        "/api/v1/intake/status/{tracking_no}/",
        "/open311/v2/discovery.{fmt}",
        "/open311/v2/services.{fmt}",
        "/open311/v2/services/{service_code}.{fmt}",
        "/open311/v2/requests.{fmt}",
        "/open311/v2/requests/{service_request_id}.{fmt}",
    } <= paths
    create = schema["paths"]["/api/v1/intake/complaints/"]["post"]
    assert {"201", "400", "403", "413", "415", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "channelKey" in schema["components"]["securitySchemes"]


def test_the_project_schema_endpoint_serves_the_channels_part_without_login(client, real_urls):
    response = client.get("/api/schema/channels/")
    assert response.status_code == 200
    assert b"/open311/v2/requests.{fmt}" in response.content
    assert client.get("/api/schema/").status_code == 302  # the whole API's schema: staff only
