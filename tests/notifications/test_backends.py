"""The backends: console, file, in-memory, and the HTTP gateway against a local server."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications import services
from notifications.backends import OutgoingSms, SmsPermanentError, SmsTransientError, get_backend, locmem
from notifications.backends.console import ConsoleBackend
from notifications.backends.file import outbox_file
from notifications.backends.http import HttpGatewayBackend
from notifications.models import SmsMessage

from .test_outbox import PHONE, dispatch, enqueue

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status

SMS = OutgoingSms(
    phone=PHONE,
    sign_name="市政务服务中心",
    template_code="SMS_100001",
    params={"tracking_no": "GS-2026-000123", "deadline": "3月6日"},
    text="您的办件GS-2026-000123请于3月6日前补正。",
    out_id="42-1",
    key="case:42:x",
    attempt=1,
)


def test_get_backend_builds_the_one_named_in_settings(settings):
    settings.SMS_BACKEND = "notifications.backends.locmem.LocmemBackend"
    backend = get_backend()
    assert backend.send(SMS).startswith("locmem-")
    assert locmem.outbox == [SMS]


def test_console_backend_prints_one_json_line_with_the_number_masked():
    stream = io.StringIO()
    message_id = ConsoleBackend(stream=stream).send(SMS)
    line = json.loads(stream.getvalue())
    assert line["provider_message_id"] == message_id
    assert line["phone"] == "139****5678"
    assert PHONE not in stream.getvalue()
    assert line["text"] == SMS.text


def test_file_backend_writes_one_json_line_per_message_with_the_number_masked(
    template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.backends.file.FileBackend"
    first = enqueue(key="file:1")
    enqueue(key="file:2", phone="13800001111")
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    path = outbox_file()
    assert str(path.parent) == settings.SMS_FILE_PATH
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["key"] for line in lines) == ["file:1", "file:2"]
    content = path.read_text()
    assert PHONE not in content and "13800001111" not in content
    one = next(line for line in lines if line["key"] == "file:1")
    assert one["phone"] == "139****5678"
    assert one["template_code"] == "SMS_100001"
    assert one["sign_name"] == "市政务服务中心"
    assert one["out_id"] == f"{first.id}-1"
    first.refresh_from_db()
    assert first.provider_message_id == one["provider_message_id"]


def test_file_backend_accepts_a_jsonl_file_as_the_path(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "out" / "all.jsonl")
    get_backend("notifications.backends.file.FileBackend").send(SMS)
    get_backend("notifications.backends.file.FileBackend").send(SMS)
    assert len((tmp_path / "out" / "all.jsonl").read_text().splitlines()) == 2


# --- HTTP gateway ------------------------------------------------------------------------------------------


def test_http_backend_posts_sign_name_template_code_and_named_params(gateway, settings):
    settings.SMS_GATEWAY_TOKEN = "gw-secret"
    backend = HttpGatewayBackend(url=gateway.url)
    assert backend.send(SMS) == "gw-1"
    assert gateway.requests == [
        {
            "sign_name": "市政务服务中心",
            "template_code": "SMS_100001",
            "phone": PHONE,
            "params": {"tracking_no": "GS-2026-000123", "deadline": "3月6日"},
            "out_id": "42-1",
        }
    ]
    assert gateway.headers[0]["Authorization"] == "Bearer gw-secret"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_http_backend_treats_server_errors_and_throttling_as_transient(gateway, status):
    gateway.status = status
    gateway.reply = {"code": "ERR", "message": "busy"}
    with pytest.raises(SmsTransientError):
        HttpGatewayBackend(url=gateway.url).send(SMS)


def test_http_backend_treats_a_refusal_as_permanent(gateway):
    gateway.status = 400
    gateway.reply = {"code": "isv.MOBILE_NUMBER_ILLEGAL", "message": "bad number"}
    with pytest.raises(SmsPermanentError):
        HttpGatewayBackend(url=gateway.url).send(SMS)
    gateway.status = 200
    gateway.reply = {"code": "isv.TEMPLATE_MISSING"}
    with pytest.raises(SmsPermanentError):
        HttpGatewayBackend(url=gateway.url).send(SMS)


def test_http_backend_treats_an_unreachable_gateway_as_transient(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # allowed, and nothing listens on port 9
    with pytest.raises(SmsTransientError, match="ConnectionRefused"):
        HttpGatewayBackend(url="http://127.0.0.1:9/sms", timeout=2).send(SMS)


def test_http_backend_never_reaches_an_internal_gateway_that_the_deployment_did_not_allow(gateway, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(SmsTransientError, match="loopback"):
        HttpGatewayBackend(url=gateway.url).send(SMS)
    assert gateway.requests == []


def test_http_backend_refuses_a_url_that_is_not_http():
    with pytest.raises(ImproperlyConfigured):
        HttpGatewayBackend(url="file:///etc/passwd")


def test_the_outbox_sends_through_the_gateway_and_records_its_message_id(
    template, daytime, settings, gateway, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.backends.http.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    message = enqueue()
    gateway.status = 502
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.QUEUED and "502" in message.last_error

    gateway.status = 200
    daytime.shift(60)
    dispatch(django_capture_on_commit_callbacks)
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_message_id == "gw-2"
    assert len(gateway.requests) == 2
    assert [r["out_id"] for r in gateway.requests] == [f"{message.id}-1", f"{message.id}-2"]


def test_a_refusal_with_the_number_in_it_is_stored_masked(
    template, daytime, settings, gateway, django_capture_on_commit_callbacks, caplog
):
    settings.SMS_BACKEND = "notifications.backends.http.HttpGatewayBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    gateway.status = 400
    gateway.reply = {"code": "ERR", "message": f"number {PHONE} is blacklisted"}
    message = enqueue()
    with caplog.at_level("DEBUG"):
        dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "139****5678" in message.last_error
    assert PHONE not in message.last_error
    assert not any(PHONE in event.note for event in message.events.all())
    assert PHONE not in caplog.text


def test_the_sent_message_records_which_template_version_it_used(daytime, django_capture_on_commit_callbacks):
    services.sms_template_publish(
        code="hello", name="问候", sign_name="甲", provider_template_id="T1", param_names=["who"], text="你好{who}"
    )
    services.sms_template_publish(
        code="hello", name="问候", sign_name="乙", provider_template_id="T2", param_names=["who"], text="您好{who}"
    )
    message = services.sms_enqueue(key="hello:1", phone=PHONE, template_code="hello", params={"who": "张先生"})
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.template_version == 2
    assert (locmem.outbox[0].sign_name, locmem.outbox[0].template_code, locmem.outbox[0].text) == (
        "乙",
        "T2",
        "您好张先生",
    )
