"""The channel REST API through the HTTP client: keys, strict input, idempotency, throttling."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from complaints.models import Complaint, Evaluation
from intake.models import ChannelKey, IdempotencyRecord
from intake.services import channel_key_revoke
from tests.factories.intake import hotline_channel, issued_key
from tests.intake.conftest import ChannelClient

pytestmark = pytest.mark.django_db

COMPLAINTS = "/api/v1/intake/complaints/"
EVALUATIONS = "/api/v1/intake/evaluations/"


def test_urls_are_where_the_docs_say():
    assert reverse("api:intake-complaint-create") == COMPLAINTS
    assert reverse("api:intake-evaluation-create") == EVALUATIONS


# --- keys ------------------------------------------------------------------------------------


def test_the_key_is_stored_only_as_its_sha256(channel):
    raw = issued_key(channel)
    key = ChannelKey.objects.get(channel=channel)
    assert raw not in (key.key_hash, key.prefix)
    assert len(key.key_hash) == 64
    assert raw.startswith(f"gsk_{key.prefix}_")


def test_a_complaint_is_created_with_a_valid_key(api, channel, window):
    response = api.post(COMPLAINTS, {"content": "窗口人员态度不耐烦", "window": "B01", "external_id": "H-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get(tracking_no=body["tracking_no"])
    assert complaint.channel == channel
    assert complaint.window == window
    assert body["status"] == "received"


@pytest.mark.parametrize("header", [None, "Key gsk_deadbeef_nope", "Key ", "Key not-a-key"])
def test_a_missing_or_bad_key_is_403_in_the_error_shape(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(COMPLAINTS, {"content": "x"}, content_type="application/json", **extra)
    assert response.status_code == 403
    assert set(response.json()) >= {"code", "message"}


def test_a_revoked_key_is_refused_with_403(api, channel):
    channel_key_revoke(key_id=ChannelKey.objects.get(channel=channel).pk)
    response = api.post(COMPLAINTS, {"content": "态度差"})
    assert response.status_code == 403
    assert response.json()["code"] == "authentication_failed"
    assert not Complaint.objects.exists()


def test_a_session_login_does_not_replace_the_channel_key(as_user, admin):
    response = as_user(admin).post(COMPLAINTS, {"content": "x"}, content_type="application/json")
    assert response.status_code == 403


# --- the one error shape, every kind of bad input ---------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "content"),  # missing
        ({"content": ["a list"]}, "content"),  # wrong type
        ({"content": "长" * 4001}, "content"),  # too long
        ({"content": "x", "kind": "praise"}, "kind"),  # bad enum
        ({"content": "x", "colour": "red"}, "colour"),  # unknown field
        ({"content": "x", "contact_phone": "12345"}, "contact_phone"),  # bad format
        ({"content": "x", "window": "NOPE"}, "window"),  # unknown reference
    ],
)
def test_bad_complaint_input_has_the_error_shape_with_the_field(api, channel, window, payload, field):
    response = api.post(COMPLAINTS, payload)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert all(isinstance(m, str) for m in body["errors"][field])
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"level": "abc"}, "level"),
        ({"level": 9}, "level"),
        ({"level": 5, "tags": "efficiency"}, "tags"),
        ({"level": 5, "is_real_name": "perhaps"}, "is_real_name"),
        ({"level": 5, "rated_at": "yesterday"}, "rated_at"),
        ({"level": 5, "text": "x" * 2001}, "text"),
        ({"level": 5, "stars": 5}, "stars"),
    ],
)
def test_bad_evaluation_input_has_the_error_shape(api, payload, field):
    response = api.post(EVALUATIONS, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Evaluation.objects.exists()


def test_bad_json_is_400_in_the_shape(api):
    response = api.post(COMPLAINTS, raw=b'{"content": "x",')
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["message"] == "The body is not valid JSON."


def test_a_json_array_body_is_400_not_a_crash(api):
    response = api.post(COMPLAINTS, raw=b"[1, 2]")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()["errors"]


def test_wrong_content_type_is_415_in_the_shape(api):
    response = api.post(COMPLAINTS, raw="content=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_an_oversized_body_is_refused_before_parsing(api, settings, monkeypatch):
    settings.INTAKE_MAX_BODY_BYTES = 1000
    parsed = []
    from intake import strict as http

    original = http.StrictJSONParser.parse
    monkeypatch.setattr(http.StrictJSONParser, "parse", lambda *a, **k: parsed.append(1) or original(*a, **k))
    response = api.post(COMPLAINTS, {"content": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert parsed == []


def test_an_unknown_field_named_with_a_nul_character_is_a_400_and_replays(api):
    """PostgreSQL's jsonb cannot store U+0000: the idempotency record of this answer failed (a 500)."""
    first = api.post(COMPLAINTS, {"content": "x", "co\x00lour": "red"}, idem="nul-1")
    again = api.post(COMPLAINTS, {"content": "x", "co\x00lour": "red"}, idem="nul-1")
    assert first.status_code == again.status_code == 400, first.content
    # Refused for the control character in its name (govservice.input_guard), echoed without U+0000.
    assert first.json()["errors"] == again.json()["errors"]
    assert list(first.json()["errors"]) == ["co\ufffdlour"]
    assert "U+0000" in first.json()["errors"]["co\ufffdlour"][0]
    assert not Complaint.objects.exists()


def test_errors_follow_the_requested_language(raw_key):
    zh = ChannelClient(raw_key, language="zh-hans").post(COMPLAINTS, {"content": "x", "colour": "red"})
    en = ChannelClient(raw_key, language="en").post(COMPLAINTS, {"content": "x", "colour": "red"})
    assert zh.json()["errors"]["colour"] == ["不支持此字段。"]
    assert en.json()["errors"]["colour"] == ["This field is not supported."]
    assert zh.json()["message"] != en.json()["message"]


# --- references stay in the centre -------------------------------------------------------------


def test_an_evaluation_of_a_staff_member_of_another_centre_is_rejected(api, foreign_staff):
    foreign_staff.staff_no = "F001"
    foreign_staff.save()
    response = api.post(EVALUATIONS, {"level": 1, "staff_no": "F001"})
    assert response.status_code == 400
    assert "staff_no" in response.json()["errors"]
    assert not Evaluation.objects.exists()


def test_an_evaluation_of_own_staff_is_recorded(api, window_staff):
    window_staff.staff_no = "S001"
    window_staff.save()
    response = api.post(EVALUATIONS, {"level": 4, "staff_no": "S001", "text": "很好"})
    assert response.status_code == 201, response.content
    evaluation = Evaluation.objects.get()
    assert evaluation.staff == window_staff
    assert response.json()["id"] == str(evaluation.public_id)


def test_a_multi_centre_channel_must_name_the_centre(centre, other_centre):
    channel = hotline_channel(centre, other_centre, code="both")
    api = ChannelClient(issued_key(channel))
    assert "centre" in api.post(COMPLAINTS, {"content": "x"}).json()["errors"]
    assert api.post(COMPLAINTS, {"content": "x", "centre": "gxq"}).status_code == 201
    assert api.post(COMPLAINTS, {"content": "x", "centre": "elsewhere"}).status_code == 400


# --- idempotency -------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_response_and_creates_nothing(api):
    first = api.post(COMPLAINTS, {"content": "排队太久"}, idem="retry-1")
    second = api.post(COMPLAINTS, {"content": "排队太久"}, idem="retry-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Complaint.objects.count() == 1


def test_a_failed_request_is_replayed_too(api):
    first = api.post(COMPLAINTS, {"kind": "praise", "content": "x"}, idem="bad-1")
    second = api.post(COMPLAINTS, {"kind": "praise", "content": "x"}, idem="bad-1")
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()


def test_the_same_key_with_another_body_is_422_with_a_clear_message(api):
    api.post(COMPLAINTS, {"content": "第一份"}, idem="k-2")
    response = api.post(COMPLAINTS, {"content": "第二份"}, idem="k-2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in response.json()["message"]
    assert Complaint.objects.count() == 1


def test_keys_are_per_channel(api, centre):
    other = ChannelClient(issued_key(hotline_channel(centre, code="other")))
    assert api.post(COMPLAINTS, {"content": "a"}, idem="shared").status_code == 201
    assert other.post(COMPLAINTS, {"content": "b"}, idem="shared").status_code == 201
    assert Complaint.objects.count() == 2


def test_a_key_still_in_progress_is_409(api, channel):
    # What a loser sees if the winner's row is visible but unfinished (e.g. after a lock timeout).
    from intake.idempotency import request_fingerprint

    IdempotencyRecord.objects.create(
        channel=channel,
        key="busy",
        endpoint="complaints",
        request_hash=request_fingerprint("complaints", {"content": "x"}),
    )
    response = api.post(COMPLAINTS, {"content": "x"}, idem="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"


def test_a_resent_external_id_is_recognised_without_the_header(api):
    first = api.post(COMPLAINTS, {"content": "x", "external_id": "12345-0001"})
    second = api.post(COMPLAINTS, {"content": "x", "external_id": "12345-0001"})
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["tracking_no"] == second.json()["tracking_no"]
    assert Complaint.objects.count() == 1


def test_an_idempotency_key_that_is_too_long_is_400(api):
    response = api.post(COMPLAINTS, {"content": "x"}, idem="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


def test_old_keys_are_purged_after_the_retention(api, channel):
    import time_machine
    from django.utils import timezone

    from intake.tasks import idempotency_keys_purge

    api.post(COMPLAINTS, {"content": "x"}, idem="old")
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=25)):
        assert idempotency_keys_purge() == 0  # kept at least 24 h
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=49)):
        assert idempotency_keys_purge() == 1
        assert idempotency_keys_purge() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_the_same_key_create_one_record(centre):
    """Threads on PostgreSQL; on SQLite (one writer at a time) the same calls run back to back."""
    import threading

    channel = hotline_channel(centre, code="race")
    key = issued_key(channel)
    body = {"content": "同时提交"}
    results: list[tuple[int, dict]] = []
    replayed: list[bool] = []

    def send() -> None:
        try:
            response = ChannelClient(key).post(COMPLAINTS, body, idem="race-1")
            results.append((response.status_code, response.json()))
            replayed.append(response.get("Idempotent-Replayed") == "true")
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=send) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for _ in range(5):
            send()
    assert Complaint.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    tracking = {body["tracking_no"] for status, body in results if status in (200, 201)}
    assert len(tracking) == 1
    assert all(status in (201, 409) for status, _body in results)
    assert replayed.count(False) == 1  # one request did the work; the others got its answer


# --- throttling --------------------------------------------------------------------------------


def test_a_channel_over_its_rate_gets_429_with_retry_after(api, rates):
    rates(channel="2/min")
    codes = [api.post(COMPLAINTS, {"content": f"第{i}条"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    response = api.post(COMPLAINTS, {"content": "再来"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_the_throttle_counts_per_key(api, centre, rates):
    rates(channel="1/min")
    other = ChannelClient(issued_key(hotline_channel(centre, code="other")))
    assert api.post(COMPLAINTS, {"content": "a"}).status_code == 201
    assert api.post(COMPLAINTS, {"content": "b"}).status_code == 429
    assert other.post(COMPLAINTS, {"content": "c"}).status_code == 201


def test_idempotency_records_are_json_safe(api, channel):
    api.post(EVALUATIONS, {"level": 5}, idem="e-1")
    record = IdempotencyRecord.objects.get()
    json.dumps(record.response_body)
    assert record.response_status == 201


@pytest.mark.usefixtures("real_urls")
def test_the_admin_shows_a_new_key_once_and_stores_only_its_hash(as_user, admin, channel):
    response = as_user(admin).post("/admin/intake/channelkey/add/", {"channel": channel.pk, "label": "partner"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.content.decode().split('data-testid="raw-key">')[1].split("<")[0]
    key = ChannelKey.objects.get(channel=channel)
    from intake.models import hash_key

    assert key.key_hash == hash_key(raw)
    assert raw not in as_user(admin).get(f"/admin/intake/channelkey/{key.pk}/change/").content.decode()
    assert ChannelClient(raw).post(COMPLAINTS, {"content": "通过后台密钥提交"}).status_code == 201
