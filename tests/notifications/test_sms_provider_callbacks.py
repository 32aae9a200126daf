"""Aliyun's SmsReport push and Tencent's status callback: SENT → DELIVERED / FAILED, and nothing else."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from notifications.models import SmsEvent, SmsMessage
from tests.factories.notifications import SmsMessageFactory

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status
PHONE = "13912345678"
ALIYUN_TOKEN = "aliyun-report-secret-123"
TENCENT_TOKEN = "tencent-callback-secret-456"


@pytest.fixture(autouse=True)
def _tokens(settings):
    settings.SMS_ALIYUN_REPORT_TOKEN = ALIYUN_TOKEN
    settings.SMS_TENCENT_CALLBACK_TOKEN = TENCENT_TOKEN


def aliyun_url(token: str = ALIYUN_TOKEN) -> str:
    return reverse("api:notifications-sms-aliyun-reports", args=[token])


def tencent_url(token: str = TENCENT_TOKEN) -> str:
    return reverse("api:notifications-sms-tencent-status", args=[token])


def sent(provider_id: str, phone: str = PHONE) -> SmsMessage:
    return SmsMessageFactory.create(status=Status.SENT, provider_message_id=provider_id, phone=phone)


def aliyun_report(message: SmsMessage, *, success: bool = True, **changes) -> dict:
    report = {
        "phone_number": "1391234****",
        "send_time": "2026-03-04 10:00:00",
        "report_time": "2026-03-04 10:00:05",
        "success": success,
        "err_code": "DELIVERED" if success else "MK:0001",
        "err_msg": "用户接收成功" if success else "空号",
        "sms_size": "1",
        "biz_id": message.provider_message_id,
        "out_id": f"{message.id}-1",
    }
    return report | changes


def tencent_report(message: SmsMessage, *, success: bool = True, **changes) -> dict:
    report = {
        "user_receive_time": "2026-03-04 10:00:05",
        "nationcode": "86",
        "mobile": message.phone,
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": "DELIVRD" if success else "UNDELIV",
        "description": "用户短信送达成功",
        "sid": message.provider_message_id,
    }
    return report | changes


def test_an_aliyun_report_marks_the_message_delivered_and_answers_as_aliyun_asks(client):
    message = sent("900001^0")
    response = client.post(aliyun_url(), [aliyun_report(message)], content_type="application/json")
    assert response.status_code == 200
    assert response.json()["code"] == 0
    message.refresh_from_db()
    assert message.status == Status.DELIVERED
    assert message.events.get(kind=SmsEvent.Kind.DELIVERED).note == "DELIVERED"


def test_an_aliyun_failure_report_fails_the_message_with_the_operators_code(client):
    message = sent("900002^0")
    response = client.post(aliyun_url(), [aliyun_report(message, success=False)], content_type="application/json")
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.last_error == "undelivered: MK:0001"


def test_a_tencent_callback_marks_delivered_and_failed_and_answers_as_tencent_asks(client):
    ok, lost = sent("2645:1"), sent("2645:2", phone="13800001111")
    response = client.post(
        tencent_url(), [tencent_report(ok), tencent_report(lost, success=False)], content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["result"] == 0
    assert response.json()["updated"] == 2
    ok.refresh_from_db()
    lost.refresh_from_db()
    assert (ok.status, lost.status) == (Status.DELIVERED, Status.FAILED)
    assert lost.last_error == "undelivered: UNDELIV"


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_repeated_report_is_idempotent(client, provider):
    message = sent("dup-1")
    url, report = (
        (aliyun_url(), aliyun_report(message)) if provider == "aliyun" else (tencent_url(), tencent_report(message))
    )
    for _ in range(2):
        response = client.post(url, [report, report], content_type="application/json")
        assert response.status_code == 200
    assert response.json()["unchanged"] == 2
    assert message.events.filter(kind=SmsEvent.Kind.DELIVERED).count() == 1


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_report_for_an_unknown_message_is_a_clear_error_a_log_line_and_no_change(client, caplog, provider):
    other = sent("known-1")
    ghost = SmsMessage(id=999_999, provider_message_id="no-such-id", phone=PHONE)
    url, report = (
        (aliyun_url(), aliyun_report(ghost)) if provider == "aliyun" else (tencent_url(), tencent_report(ghost))
    )
    with caplog.at_level(logging.WARNING):
        response = client.post(url, [report], content_type="application/json")
    assert response.status_code == 404
    assert "1 条回执找不到对应的短信" in response.json()["message"]
    assert "no-such-id" in caplog.text
    assert PHONE not in caplog.text
    other.refresh_from_db()
    assert other.status == Status.SENT
    assert not SmsEvent.objects.filter(kind__in=[SmsEvent.Kind.DELIVERED, SmsEvent.Kind.UNDELIVERED]).exists()


def test_an_aliyun_report_whose_out_id_names_another_message_changes_nothing(client, caplog):
    message = sent("900003^0")
    with caplog.at_level(logging.WARNING):
        response = client.post(
            aliyun_url(), [aliyun_report(message, out_id=f"{message.id + 1}-1")], content_type="application/json"
        )
    assert response.status_code == 404
    assert "out_id names another message" in caplog.text
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_tencent_report_for_another_number_changes_nothing_and_logs_it_masked(client, caplog):
    message = sent("2645:9")
    with caplog.at_level(logging.WARNING):
        response = client.post(
            tencent_url(), [tencent_report(message, mobile="13700002222")], content_type="application/json"
        )
    assert response.status_code == 404
    assert "137****2222" in caplog.text
    assert "13700002222" not in caplog.text
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_tencent_report_from_another_country_code_does_not_match_a_mainland_message(client):
    message = sent("2645:10")
    response = client.post(tencent_url(), [tencent_report(message, nationcode="852")], content_type="application/json")
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.parametrize("url", [aliyun_url("wrong-token"), tencent_url("wrong-token")])
def test_a_callback_with_the_wrong_token_is_refused_and_logged(client, caplog, url):
    message = sent("900004^0")
    report = aliyun_report(message) if "aliyun" in url else tencent_report(message)
    with caplog.at_level(logging.WARNING):
        response = client.post(url, [report], content_type="application/json")
    assert response.status_code == 403
    assert "bad token" in caplog.text
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_with_no_token_configured_every_callback_is_refused(client, settings):
    settings.SMS_ALIYUN_REPORT_TOKEN = ""
    message = sent("900005^0")
    response = client.post(aliyun_url("anything"), [aliyun_report(message)], content_type="application/json")
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_malformed_report_is_a_clear_400_and_changes_nothing(client):
    message = sent("2645:11")
    response = client.post(
        tencent_url(), [tencent_report(message, report_status="MAYBE")], content_type="application/json"
    )
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_the_callbacks_are_in_the_api_schema(as_user, leader):
    schema = as_user(leader).get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/v1/notifications/sms/aliyun/reports/{token}/" in schema["paths"]
    assert "/api/v1/notifications/sms/tencent/status/{token}/" in schema["paths"]
