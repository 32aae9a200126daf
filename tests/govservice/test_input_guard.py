"""A control character (U+0000 …) in any parameter or field is a 400 with a clear error, never a 500."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from govservice.input_guard import CONTROL_CHARACTERS, field_in_data
from tests.factories.intake import hotline_channel, issued_key

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_a_ledger_filter_is_a_400_naming_the_field(as_user, leader):
    response = as_user(leader).get(reverse("rectification:ledger"), {"q": "态度\x00"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "“q”" in body and "U+0000" in body


def test_a_control_character_in_a_staff_api_query_is_a_400_in_the_api_error_shape(as_user, leader):
    response = as_user(leader).get("/api/v1/feedback/complaints/", {"q": "a\x1bb"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["q"]


def test_a_control_character_in_a_channel_api_field_is_a_400_naming_the_field(client, centre):
    key = issued_key(hotline_channel(centre))
    response = client.post(
        "/api/v1/intake/complaints/",
        data=json.dumps({"content": "排队\x1b[31m太久", "external_id": "X\x00"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {key}",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"content", "external_id"}


def test_a_control_character_in_an_open311_request_is_refused_in_its_own_shape(client):
    response = client.get("/open311/v2/services.json", {"jurisdiction_id": "city\x00"})
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == 400


def test_tabs_and_line_breaks_are_ordinary_text(as_user, leader):
    assert as_user(leader).get(reverse("rectification:ledger"), {"q": "态度\t不好\r\n"}).status_code == 200


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=8))
def test_the_walk_finds_a_control_character_wherever_it_is(data):
    def has_one(value):
        if isinstance(value, dict):
            return any(CONTROL_CHARACTERS.search(k) or has_one(v) for k, v in value.items())
        if isinstance(value, list):
            return any(has_one(v) for v in value)
        return bool(CONTROL_CHARACTERS.search(value))

    assert (field_in_data(data) is not None) == bool(has_one(data))
