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
        "/api/v1/intake/work-orders/",
        "/api/v1/intake/work-orders/{order_no}/callbacks/",
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
    assert "hotlineSignature" in schema["components"]["securitySchemes"]
    push = schema["paths"]["/api/v1/intake/work-orders/"]["post"]
    assert {"200", "201", "400", "401"} <= set(push["responses"])
    callback = schema["paths"]["/api/v1/intake/work-orders/{order_no}/callbacks/"]["post"]
    assert {"200", "401", "404", "409"} <= set(callback["responses"])


def test_the_project_schema_endpoint_serves_the_channels_part_without_login(client, real_urls):
    response = client.get("/api/schema/channels/")
    assert response.status_code == 200
    assert b"/open311/v2/requests.{fmt}" in response.content
    assert client.get("/api/schema/").status_code == 302  # the whole API's schema: staff only
