"""The Aliyun and Tencent Cloud backends: signing against the providers' worked examples, requests against
local fakes that recompute the signature as documented, and the error-code tables."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from notifications.backends import OutgoingSms, SmsPermanentError, SmsTransientError, aliyun, tencent
from notifications.backends.cloud import Disposition, e164_mainland, mainland_mobile
from notifications.models import SmsEvent, SmsMessage

from . import fake_providers as fakes
from .fake_providers import FakeProvider, fake_aliyun, fake_tencent
from .test_outbox import PARAMS, PHONE, dispatch, enqueue

Status = SmsMessage.Status

SMS = OutgoingSms(
    phone=PHONE,
    sign_name="市政务服务中心",
    template_code="SMS_100001",
    params={"tracking_no": "GS-2026-000123", "deadline": "3月6日 *&= ~"},
    text="…",
    out_id="42-1",
    key="case:42:x",
    attempt=1,
)

# The documentation's worked examples: fixed inputs and the signature the provider published for them.
TENCENT_DOC_PAYLOAD = rb'{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}'
TENCENT_DOC_SIGNATURE = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
ALIYUN_DOC_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-version": "2014-05-26",
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
}
ALIYUN_DOC_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
ALIYUN_DOC_SIGNATURE = "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"


# --- signing: the documentation's examples ------------------------------------------------------------


def test_the_tencent_signer_reproduces_the_documented_tc3_example():
    header = tencent.authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        host="cvm.tencentcloudapi.com",
        payload=TENCENT_DOC_PAYLOAD,
        timestamp=1551113065,
        service="cvm",
    )
    assert header == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={TENCENT_DOC_SIGNATURE}"
    )


def test_the_aliyun_signer_reproduces_the_documented_acs3_example():
    header = aliyun.authorization(
        method="POST",
        path="/",
        query=ALIYUN_DOC_QUERY,
        headers=ALIYUN_DOC_HEADERS,
        body=b"",
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
    )
    assert header == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        f"x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={ALIYUN_DOC_SIGNATURE}"
    )


def test_the_fakes_verifiers_agree_with_the_documented_examples_too():
    """The fakes are checked against the same published values, so they are not the signer's mirror."""
    assert (
        fakes.tencent_expected_signature(
            secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
            service="cvm",
            content_type="application/json; charset=utf-8",
            host="cvm.tencentcloudapi.com",
            payload=TENCENT_DOC_PAYLOAD,
            timestamp=1551113065,
        )
        == TENCENT_DOC_SIGNATURE
    )
    raw_query = "&".join(f"{k}={v}" for k, v in ALIYUN_DOC_QUERY.items())
    assert (
        fakes.aliyun_expected_signature(
            method="POST",
            path="/",
            raw_query=raw_query,
            headers=ALIYUN_DOC_HEADERS,
            signed=sorted(ALIYUN_DOC_HEADERS),
            body=b"",
            secret="YourAccessKeySecret",
        )
        == ALIYUN_DOC_SIGNATURE
    )


def test_a_changed_byte_changes_the_signature():
    changed = tencent.signature(
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        host="cvm.tencentcloudapi.com",
        payload=TENCENT_DOC_PAYLOAD.replace(b"1", b"2", 1),
        timestamp=1551113065,
        service="cvm",
    )
    assert changed != TENCENT_DOC_SIGNATURE


def test_aliyun_percent_encoding_is_rfc3986():
    assert aliyun.percent_encode("a b*c~d/é") == "a%20b%2Ac~d%2F%C3%A9"


# --- against the fakes ---------------------------------------------------------------------------------


@pytest.fixture
def aliyun_fake(settings) -> Iterator[FakeProvider]:
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with fake_aliyun() as fake:
        settings.SMS_ALIYUN_ACCESS_KEY_ID = fakes.ALIYUN_KEY_ID
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = fakes.ALIYUN_SECRET
        settings.SMS_ALIYUN_ENDPOINT = fake.url
        yield fake


@pytest.fixture
def tencent_fake(settings) -> Iterator[FakeProvider]:
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with fake_tencent() as fake:
        settings.SMS_TENCENT_SECRET_ID = fakes.TENCENT_SECRET_ID
        settings.SMS_TENCENT_SECRET_KEY = fakes.TENCENT_SECRET_KEY
        settings.SMS_TENCENT_SDK_APP_ID = fakes.TENCENT_APP_ID
        settings.SMS_TENCENT_ENDPOINT = fake.url
        yield fake


def test_aliyun_sends_sign_name_template_code_and_named_parameters_signed(aliyun_fake):
    biz_id = aliyun.AliyunSmsBackend().send(SMS)
    assert biz_id == "900001^0"
    assert aliyun_fake.rejected == []
    query = aliyun_fake.requests[0]["query"]
    assert query["PhoneNumbers"] == PHONE
    assert query["SignName"] == "市政务服务中心"
    assert query["TemplateCode"] == "SMS_100001"
    assert json.loads(query["TemplateParam"]) == SMS.params
    assert query["OutId"] == "42-1"
    assert aliyun_fake.requests[0]["headers"]["x-acs-action"] == "SendSms"
    assert aliyun_fake.requests[0]["headers"]["x-acs-version"] == "2017-05-25"


def test_the_aliyun_fake_rejects_a_wrong_secret_and_the_refusal_is_permanent(aliyun_fake):
    with pytest.raises(SmsPermanentError, match="SignatureDoesNotMatch"):
        aliyun.AliyunSmsBackend(access_key_secret="not-the-secret").send(SMS)
    assert aliyun_fake.rejected == ["SignatureDoesNotMatch"]
    assert aliyun_fake.requests == []


def test_the_aliyun_fake_rejects_a_request_altered_after_signing(aliyun_fake):
    backend = aliyun.AliyunSmsBackend()
    url, headers = backend.signed_request(SMS)
    from govservice import outbound

    response = outbound.request("POST", url.replace("42-1", "43-1"), body=b"", headers=headers, schemes=("http",))
    assert response.status == 400
    assert aliyun_fake.rejected == ["SignatureDoesNotMatch"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", SmsPermanentError),
        ("isv.SMS_TEMPLATE_ILLEGAL", SmsPermanentError),
        ("isv.SMS_SIGNATURE_ILLEGAL", SmsPermanentError),
        ("isv.BUSINESS_LIMIT_CONTROL", SmsTransientError),
        ("isp.SYSTEM_ERROR", SmsTransientError),
    ],
)
def test_aliyun_answer_codes_become_the_outboxs_errors(aliyun_fake, code, error):
    aliyun_fake.codes[PHONE] = code
    with pytest.raises(error, match=code.replace(".", r"\.")):
        aliyun.AliyunSmsBackend().send(SMS)


def test_aliyun_server_errors_are_transient_whatever_the_code(aliyun_fake):
    aliyun_fake.codes[PHONE] = "isv.SOMETHING"
    aliyun_fake.status = 503
    with pytest.raises(SmsTransientError):
        aliyun.AliyunSmsBackend().send(SMS)


def test_tencent_sends_e164_numbers_and_the_parameters_in_the_templates_order(tencent_fake):
    serial = tencent.TencentSmsBackend().send(SMS)
    assert serial == "2645:000001"
    assert tencent_fake.rejected == []
    body = tencent_fake.requests[0]["body"]
    assert body == {
        "PhoneNumberSet": ["+8613912345678"],
        "SmsSdkAppId": fakes.TENCENT_APP_ID,
        "SignName": "市政务服务中心",
        "TemplateId": "SMS_100001",
        "TemplateParamSet": ["GS-2026-000123", "3月6日 *&= ~"],
        "SessionContext": "42-1",
    }
    assert tencent_fake.requests[0]["headers"]["x-tc-region"] == "ap-guangzhou"


def test_the_tencent_fake_rejects_a_wrong_secret_and_the_refusal_is_permanent(tencent_fake):
    with pytest.raises(SmsPermanentError, match="AuthFailure.SignatureFailure"):
        tencent.TencentSmsBackend(secret_key="not-the-key").send(SMS)
    assert tencent_fake.rejected == ["AuthFailure.SignatureFailure"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("InvalidParameterValue.IncorrectPhoneNumber", SmsPermanentError),
        ("FailedOperation.TemplateIncorrectOrUnapproved", SmsPermanentError),
        ("FailedOperation.PhoneNumberInBlacklist", SmsPermanentError),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", SmsTransientError),
        ("InternalError.Timeout", SmsTransientError),
    ],
)
def test_tencent_status_codes_become_the_outboxs_errors(tencent_fake, code, error):
    tencent_fake.codes["+8613912345678"] = code
    with pytest.raises(error, match=code.replace(".", r"\.")) as raised:
        tencent.TencentSmsBackend().send(SMS)
    assert PHONE not in str(raised.value)  # the provider's message named the number: masked before it goes on
    assert "139****5678" in str(raised.value)


def test_an_unreachable_provider_is_transient(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    backend = tencent.TencentSmsBackend(
        secret_id="x", secret_key="y", sdk_app_id="1", endpoint="http://127.0.0.1:9/", timeout=1
    )
    with pytest.raises(SmsTransientError, match="unreachable"):
        backend.send(SMS)


def test_a_provider_on_an_internal_address_is_refused_unless_the_deployment_allows_it(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    backend = aliyun.AliyunSmsBackend(access_key_id="x", access_key_secret="y", endpoint="http://127.0.0.1:9/")
    with pytest.raises(SmsTransientError, match="unreachable"):
        backend.send(SMS)


def test_a_backend_without_credentials_refuses_to_start(settings):
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ""
    settings.SMS_TENCENT_SDK_APP_ID = ""
    with pytest.raises(ImproperlyConfigured):
        aliyun.AliyunSmsBackend()
    with pytest.raises(ImproperlyConfigured):
        tencent.TencentSmsBackend(secret_id="a", secret_key="b")


# --- through the outbox -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_goes_out_through_aliyun_with_the_templates_aliyun_code_and_its_report_delivers_it(
    aliyun_fake, template, daytime, settings, django_capture_on_commit_callbacks, client
):
    settings.SMS_BACKEND = "notifications.backends.aliyun.AliyunSmsBackend"
    template.aliyun_template_code = "SMS_465000001"
    template.save()
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.provider_message_id == "900001^0"
    query = aliyun_fake.requests[0]["query"]
    assert query["TemplateCode"] == "SMS_465000001"
    assert json.loads(query["TemplateParam"]) == PARAMS
    assert query["OutId"] == f"{message.id}-1"

    settings.SMS_ALIYUN_REPORT_TOKEN = "t0ken"
    report = {
        "biz_id": "900001^0",
        "out_id": query["OutId"],
        "success": True,
        "err_code": "DELIVERED",
        "phone_number": "1391234****",
    }
    response = client.post(
        reverse("api:notifications-sms-aliyun-reports", args=["t0ken"]), [report], content_type="application/json"
    )
    assert response.json()["code"] == 0
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


@pytest.mark.django_db
def test_a_template_without_a_code_for_the_chosen_provider_fails_clearly_and_is_never_sent(
    tencent_fake, template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.backends.tencent.TencentSmsBackend"
    assert template.provider_template_id  # the gateway's id is there, Tencent's is not
    message = enqueue()
    dispatch(django_capture_on_commit_callbacks)
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "腾讯云模板 ID" in message.last_error
    assert tencent_fake.requests == []
    assert message.events.filter(kind=SmsEvent.Kind.FAILED).exists()


@pytest.mark.django_db
def test_a_refused_number_fails_and_a_busy_provider_is_retried(
    tencent_fake, template, daytime, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "notifications.backends.tencent.TencentSmsBackend"
    template.tencent_template_id = "1234567"
    template.save()
    tencent_fake.codes["+8613912345678"] = "FailedOperation.PhoneNumberInBlacklist"
    tencent_fake.codes["+8613800001111"] = "InternalError.Timeout"
    refused = enqueue(key="a")
    busy = enqueue(key="b", phone="13800001111")
    dispatch(django_capture_on_commit_callbacks)
    refused.refresh_from_db()
    busy.refresh_from_db()
    assert refused.status == Status.FAILED
    assert "PhoneNumberInBlacklist" in refused.last_error
    assert busy.status == Status.QUEUED
    assert busy.events.filter(kind=SmsEvent.Kind.RETRY).exists()


# --- the tables and the numbers, over any input ----------------------------------------------------------


@pytest.mark.parametrize("module", [aliyun, tencent])
def test_every_code_in_a_table_is_decided_by_the_table(module):
    for code, verdict in module.CODES.items():
        assert module.disposition(code) is verdict


@given(st.text(max_size=60))
def test_the_aliyun_mapping_is_total_and_only_provider_trouble_is_retried(code):
    verdict = aliyun.disposition(code)
    assert verdict in (Disposition.RETRY, Disposition.FAIL)
    if code not in aliyun.CODES:
        assert (verdict is Disposition.RETRY) == code.startswith(
            ("isp.", "Throttling", "ServiceUnavailable", "InternalError")
        )


@given(st.text(max_size=60))
def test_the_tencent_mapping_is_total_and_only_provider_trouble_is_retried(code):
    verdict = tencent.disposition(code)
    assert verdict in (Disposition.RETRY, Disposition.FAIL)
    if code not in tencent.CODES:
        assert (verdict is Disposition.RETRY) == code.startswith(
            ("InternalError", "RequestLimitExceeded", "ServiceUnavailable")
        )


def test_the_number_refusals_and_template_refusals_are_permanent_in_both_tables():
    for code in ["isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL"]:
        assert aliyun.disposition(code) is Disposition.FAIL
    for code in [
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.PhoneNumberInBlacklist",
    ]:
        assert tencent.disposition(code) is Disposition.FAIL


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
spellings = st.sampled_from(["{}", "+86{}", "+86 {}", "0086{}", "86{}", "+86-{}"])


@given(mobiles, spellings)
def test_every_spelling_of_a_mainland_mobile_becomes_one_e164_number(mobile, spelling):
    assert e164_mainland(spelling.format(mobile)) == "+86" + mobile
    assert mainland_mobile(spelling.format(mobile)) == mobile


@given(st.text(max_size=20))
def test_a_non_mobile_is_refused_permanently_never_sent_half_formatted(value):
    try:
        formatted = e164_mainland(value)
    except SmsPermanentError:
        return
    assert formatted.startswith("+861") and len(formatted) == 14 and formatted[1:].isdigit()


@pytest.mark.django_db
def test_the_templates_missing_a_code_are_those_of_the_configured_provider(settings):
    from notifications import selectors
    from tests.factories.notifications import SmsTemplateFactory

    SmsTemplateFactory(code="both", aliyun_template_code="SMS_1", tencent_template_id="")
    missing_tencent = set(
        selectors.sms_templates_missing_provider_id("tencent_template_id").values_list("code", flat=True)
    )
    missing_aliyun = set(
        selectors.sms_templates_missing_provider_id("aliyun_template_code").values_list("code", flat=True)
    )
    assert "both" in missing_tencent
    assert "both" not in missing_aliyun
    with pytest.raises(ValueError):
        selectors.sms_templates_missing_provider_id("text")


def test_the_administrator_reads_the_providers_codes_in_words():
    from notifications.errors import explain_sms_error

    assert "号码" in explain_sms_error("tencent refused: InvalidParameterValue.IncorrectPhoneNumber bad")
    assert "签名" in explain_sms_error("tencent refused: FailedOperation.SignatureIncorrectOrUnapproved x")
    assert "AccessKey" in explain_sms_error("aliyun refused: SignatureDoesNotMatch Specified signature")
    assert "AccessKey" in explain_sms_error("tencent refused: AuthFailure.SignatureFailure x")
    assert "自动重试" in explain_sms_error("tencent unreachable: 127.0.0.1: ConnectionRefusedError")
    assert "号码" in explain_sms_error("aliyun refused: isv.MOBILE_NUMBER_ILLEGAL x")
