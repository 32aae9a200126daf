"""The 12345 hotline's signed pushes: work orders and callback results. Good, wrong signature, replay,
duplicate order, unknown order; a refused request changes nothing and leaves a line in the log."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from django.test import Client

from complaints.models import Complaint, WorkOrder, WorkOrderEvent
from govservice.spreadsheet import Row
from intake.importing import import_rows
from intake.models import HotlinePlatform, ImportBatch
from intake.work_orders import hotline_signature
from tests.factories.intake import hotline_channel

pytestmark = pytest.mark.django_db

SECRET = "platform-secret-for-tests"
URL = "/api/v1/intake/work-orders/"


@pytest.fixture
def platform(centre) -> HotlinePlatform:
    return HotlinePlatform.objects.create(
        code="city-12345", name="市12345热线", channel=hotline_channel(centre), secret=SECRET
    )


def push(
    url: str,
    data: Any,
    *,
    secret: str = SECRET,
    code: str = "city-12345",
    timestamp: int | None = None,
    signature: str | None = None,
    client: Client | None = None,
    body: bytes | None = None,
):
    body = body if body is not None else json.dumps(data, ensure_ascii=False).encode()
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = signature if signature is not None else hotline_signature(secret=secret, timestamp=ts, body=body)
    return (client or Client()).post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_HOTLINE_PLATFORM=code,
        HTTP_X_HOTLINE_TIMESTAMP=ts,
        HTTP_X_HOTLINE_SIGNATURE=sig,
        HTTP_ACCEPT_LANGUAGE="en",
    )


ORDER = {"order_no": "GD2026030600123", "content": "办理营业执照时窗口推诿", "contact_phone": "13800001234"}


def test_a_signed_order_becomes_a_complaint_with_its_work_order(platform):
    response = push(URL, ORDER)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["order_no"] == ORDER["order_no"] and body["status"] == "awaiting_sign"
    order = WorkOrder.objects.get()
    assert order.channel == platform.channel and order.complaint.external_id == ORDER["order_no"]
    assert order.events.get().action == WorkOrder.Action.RECEIVE
    assert "13800001234" not in response.content.decode()


def test_the_same_order_twice_is_one_complaint(platform):
    assert push(URL, ORDER).status_code == 201
    again = push(URL, {**ORDER, "content": "重复推送"})
    assert again.status_code == 200
    assert Complaint.objects.count() == 1 and WorkOrder.objects.count() == 1


def test_a_wrong_signature_is_401_with_a_clear_error_and_a_log_line(platform, caplog):
    caplog.set_level(logging.WARNING, logger="intake.work_orders")
    response = push(URL, ORDER, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert response.json()["message"] == "The signature is wrong."
    assert not Complaint.objects.exists()
    assert any("bad_signature" in r.getMessage() and "city-12345" in r.getMessage() for r in caplog.records)
    assert all("13800001234" not in r.getMessage() for r in caplog.records)


def test_a_body_changed_after_signing_is_refused(platform):
    ts = int(time.time())
    signature = hotline_signature(secret=SECRET, timestamp=ts, body=json.dumps(ORDER).encode())
    tampered = json.dumps({**ORDER, "content": "改过的内容"}).encode()
    assert push(URL, None, body=tampered, timestamp=ts, signature=signature).status_code == 401
    assert not Complaint.objects.exists()


def test_an_old_timestamp_is_refused_as_a_replay(platform):
    response = push(URL, ORDER, timestamp=int(time.time()) - 301)
    assert response.status_code == 401 and response.json()["code"] == "stale"
    assert not Complaint.objects.exists()


def test_the_same_signed_request_twice_is_refused_the_second_time(platform):
    ts = int(time.time())
    body = json.dumps(ORDER).encode()
    signature = hotline_signature(secret=SECRET, timestamp=ts, body=body)
    assert push(URL, None, body=body, timestamp=ts, signature=signature).status_code == 201
    replay = push(URL, None, body=body, timestamp=ts, signature=signature)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed"
    assert WorkOrderEvent.objects.count() == 1


@pytest.mark.parametrize("code", ["", "no-such-platform"])
def test_an_unknown_or_missing_platform_is_refused(platform, code):
    response = push(URL, ORDER, code=code)
    assert response.status_code == 401
    assert not Complaint.objects.exists()


def test_an_inactive_platform_is_refused(platform):
    HotlinePlatform.objects.filter(id=platform.id).update(is_active=False)
    assert push(URL, ORDER).status_code == 401


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"order_no": "GD1", "content": ""}, "content"),
        ({"content": "x"}, "order_no"),
        ({"order_no": "GD1", "content": "x", "contact_phone": "12"}, "contact_phone"),
        ({"order_no": "GD1", "content": "x", "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_400_naming_the_field(platform, data, field):
    response = push(URL, data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Complaint.objects.exists()


def _answered(order_no: str = ORDER["order_no"]) -> WorkOrder:
    assert push(URL, {**ORDER, "order_no": order_no}).status_code == 201
    order = WorkOrder.objects.get(order_no=order_no)
    WorkOrder.objects.filter(id=order.id).update(status=WorkOrder.Status.ANSWERED)
    Complaint.objects.filter(id=order.complaint_id).update(status=Complaint.Status.REPLIED)
    return order


def _callback_url(order_no: str) -> str:
    return f"{URL}{order_no}/callbacks/"


def test_a_callback_result_closes_an_answered_order(platform):
    order = _answered()
    response = push(_callback_url(order.order_no), {"result": "satisfied", "note": "群众表示满意"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "closed"
    assert Complaint.objects.get(id=order.complaint_id).status == Complaint.Status.CLOSED


def test_not_satisfied_sends_the_order_back_to_handling(platform):
    order = _answered()
    response = push(_callback_url(order.order_no), {"result": "not_satisfied"})
    assert response.json()["status"] == "handling" and response.json()["rounds"] == 2


def test_a_callback_for_an_unknown_order_is_404_and_changes_nothing(platform, caplog):
    order = _answered()
    caplog.set_level(logging.WARNING, logger="intake.work_orders")
    response = push(_callback_url("GD-NOPE"), {"result": "satisfied"})
    assert response.status_code == 404
    assert "GD-NOPE" in response.json()["message"]
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.ANSWERED
    assert any("unknown order" in r.getMessage() for r in caplog.records)


def test_another_platforms_order_is_unknown_to_this_one(platform, centre):
    order = _answered()
    HotlinePlatform.objects.create(
        code="other", name="另一平台", channel=hotline_channel(centre, code="other-hotline"), secret="x"
    )
    response = push(_callback_url(order.order_no), {"result": "satisfied"}, code="other", secret="x")
    assert response.status_code == 404
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.ANSWERED


def test_a_callback_for_an_order_not_answered_yet_is_409_and_changes_nothing(platform):
    push(URL, ORDER)
    response = push(_callback_url(ORDER["order_no"]), {"result": "satisfied"})
    assert response.status_code == 409
    assert WorkOrder.objects.get().status == WorkOrder.Status.AWAITING_SIGN


def test_a_callback_with_a_wrong_signature_changes_nothing(platform):
    order = _answered()
    response = push(_callback_url(order.order_no), {"result": "satisfied"}, secret="wrong")
    assert response.status_code == 401
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.ANSWERED


def test_the_batch_import_and_the_push_share_the_order_key(platform, centre):
    headers = ["工单编号", "诉求内容"]
    result = import_rows(
        kind=ImportBatch.Kind.HOTLINE,
        channel=platform.channel,
        centre=centre,
        headers=headers,
        rows=[Row(2, ("GD-FILE-1", "文件中的工单"))],
        valid_only=False,
    )
    assert result.imported == 1
    assert WorkOrder.objects.get().order_no == "GD-FILE-1"  # a platform's file makes work orders too
    response = push(URL, {"order_no": "GD-FILE-1", "content": "同一工单再推送"})
    assert response.status_code == 200
    assert Complaint.objects.count() == 1 and WorkOrder.objects.count() == 1
    # …and the file after the push counts it as a duplicate.
    push(URL, {"order_no": "GD-PUSH-2", "content": "先推送的工单"})
    again = import_rows(
        kind=ImportBatch.Kind.HOTLINE,
        channel=platform.channel,
        centre=centre,
        headers=headers,
        rows=[Row(2, ("GD-PUSH-2", "文件中的同一工单"))],
        valid_only=False,
    )
    assert (again.imported, again.duplicates) == (0, 1)
    assert Complaint.objects.count() == 2
