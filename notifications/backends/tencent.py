"""Tencent Cloud SMS (腾讯云短信, API 3.0, version 2021-01-11): SendSms, one message per request.

Signing: **TC3-HMAC-SHA256** ("签名方法 v3"), as documented and as the official SDK
(tencentcloud-sdk-python) sends it for a POST of JSON:

    CanonicalRequest = "POST\n/\n\n" + "content-type:application/json; charset=utf-8\nhost:<host>\n" + "\n"
                       + "content-type;host" + "\n" + hex(sha256(payload))
    CredentialScope  = <UTC date of the timestamp, yyyy-mm-dd> + "/sms/tc3_request"
    StringToSign     = "TC3-HMAC-SHA256\n" + <timestamp> + "\n" + CredentialScope + "\n" + hex(sha256(CanonicalRequest))
    SecretDate = HMAC("TC3" + SecretKey, date); SecretService = HMAC(SecretDate, "sms");
    SecretSigning = HMAC(SecretService, "tc3_request"); Signature = hex(HMAC(SecretSigning, StringToSign))
    Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<CredentialScope>, SignedHeaders=content-type;host,
                   Signature=<hex>
    with X-TC-Action: SendSms, X-TC-Version: 2021-01-11, X-TC-Timestamp, X-TC-Region.

tests/notifications check the signer against the documentation's worked example (CVM DescribeInstances,
timestamp 1551113065, Signature=2230eefd…).

Why no SDK: tencentcloud-sdk-python ships every Tencent Cloud product (tens of megabytes) and its own HTTP
client; every outbound request here must go through govservice.outbound (address checks, no redirects,
pinned connections), which the SDK would bypass. The signature is a few HMACs.

Parameters: Tencent templates are positional ({1}, {2}, …): TemplateParamSet is the template's parameters
in the order of `SmsTemplate.param_names`, so the project's templates stay named and the order is the one
place where the mapping lives. The template's id is `SmsTemplate.tencent_template_id`; numbers go out in
E.164 (+86…). SessionContext carries the outbox's `<message id>-<attempt>`.

Delivery status: Tencent's status callback (短信下发状态回调) carries no signature, so the callback URL the
administrator enters in the console holds a per-deployment secret (`SMS_TENCENT_CALLBACK_TOKEN`), and each
report must also name the number its SerialNo (`sid`) was sent to; see api.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import BaseSmsBackend, OutgoingSms
from .cloud import Disposition, e164_mainland, post, raise_for

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"
DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
DEFAULT_REGION = "ap-guangzhou"

R, F = Disposition.RETRY, Disposition.FAIL

# SendSms's error codes (the API's error-code list, and API 3.0's common codes) → what the outbox does.
# A code comes either for the whole request (Response.Error.Code) or for the number (SendStatusSet[].Code).
CODES: dict[str, Disposition] = {
    # Tencent's side: busy, time-outs, unknown trouble
    "InternalError": R,
    "InternalError.OtherError": R,
    "InternalError.RequestTimeException": F,  # the request's timestamp is off: the server's clock, every time
    "InternalError.SendAndRecvFail": R,
    "InternalError.Timeout": R,
    "InternalError.UnknownError": R,
    "InternalError.RestApiInterfaceNotExist": F,
    "InternalError.SigFieldMissing": F,
    "InternalError.SigVerificationFail": F,
    "InternalError.JsonParseFail": F,
    "InternalError.ParseBackendResponseFail": R,
    "ServiceUnavailable": R,
    "RequestLimitExceeded": R,
    # throttling per number over short spans: worth the back-off
    "LimitExceeded.DeliveryFrequencyLimit": R,
    "LimitExceeded.PhoneNumberThirtySecondLimit": R,
    "LimitExceeded.PhoneNumberOneHourLimit": R,
    # daily quotas: not before tomorrow, later than the outbox's back-off
    "LimitExceeded.PhoneNumberDailyLimit": F,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": F,
    "LimitExceeded.DailyLimit": F,
    "LimitExceeded.AppDailyLimit": F,
    "LimitExceeded.AppCountryOrRegionDailyLimit": F,
    "LimitExceeded.AppGlobalDailyLimit": F,
    "LimitExceeded.AppMainlandChinaDailyLimit": F,
    "LimitExceeded.PhoneNumberCountLimit": F,
    # the number
    "InvalidParameterValue.IncorrectPhoneNumber": F,
    "FailedOperation.PhoneNumberInBlacklist": F,
    "FailedOperation.PhoneNumberParseFail": F,
    "MissingParameter.EmptyPhoneNumberSet": F,
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": F,
    "UnsupportedOperation.UnsupportedRegion": F,
    # template, sign, content
    "FailedOperation.SignatureIncorrectOrUnapproved": F,
    "FailedOperation.TemplateIncorrectOrUnapproved": F,
    "FailedOperation.TemplateUnapprovedOrNotExist": F,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": F,
    "FailedOperation.TemplateIdNotExist": F,
    "FailedOperation.ContainSensitiveWord": F,
    "FailedOperation.MarketingSendTimeConstraint": F,
    "FailedOperation.JsonParseFail": F,
    "FailedOperation.FailResolvePacket": F,
    "InvalidParameterValue.ContentLengthLimit": F,
    "InvalidParameterValue.TemplateParameterFormatError": F,
    "InvalidParameterValue.TemplateParameterLengthLimit": F,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": F,
    "InvalidParameterValue.InvalidTemplateFormat": F,
    "InvalidParameterValue.SdkAppIdNotExist": F,
    "InvalidParameter": F,
    # the account and the credentials
    "FailedOperation.InsufficientBalanceInSmsPackage": F,  # arrears: topped up by a person, then "send again"
    "UnauthorizedOperation.SerivceSuspendDueToArrears": F,  # (sic: Tencent's spelling)
    "UnauthorizedOperation.SdkAppIdIsDisabled": F,
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": F,
    "UnauthorizedOperation.RequestIpNotInWhitelist": F,
    "UnauthorizedOperation.RequestPermissionDeny": F,
    "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny": F,
    "AuthFailure.SignatureFailure": F,
    "AuthFailure.SignatureExpire": F,
    "AuthFailure.SecretIdNotFound": F,
    "AuthFailure.InvalidSecretId": F,
    "AuthFailure.UnauthorizedOperation": F,
}


def disposition(code: str) -> Disposition:
    """What the outbox does with an error code; total: an unknown InternalError.* / limit-per-request code
    is Tencent's trouble (RETRY), any other unknown code is taken as a refusal (FAIL)."""
    if code in CODES:
        return CODES[code]
    if code.startswith(("InternalError", "RequestLimitExceeded", "ServiceUnavailable")):
        return Disposition.RETRY
    return Disposition.FAIL


# --- signing -----------------------------------------------------------------------------------


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def credential_scope(timestamp: int, service: str = SERVICE) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    return f"{date}/{service}/tc3_request"


def string_to_sign(*, host: str, payload: bytes, timestamp: int, service: str = SERVICE) -> str:
    canonical_request = "\n".join(
        ["POST", "/", "", f"content-type:{CONTENT_TYPE}\nhost:{host}\n", SIGNED_HEADERS, _sha256_hex(payload)]
    )
    return "\n".join(
        [ALGORITHM, str(timestamp), credential_scope(timestamp, service), _sha256_hex(canonical_request.encode())]
    )


def signature(*, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = SERVICE) -> str:
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    secret_signing = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    to_sign = string_to_sign(host=host, payload=payload, timestamp=timestamp, service=service)
    return hmac.new(secret_signing, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int, service: str = SERVICE
) -> str:
    sig = signature(secret_key=secret_key, host=host, payload=payload, timestamp=timestamp, service=service)
    scope = credential_scope(timestamp, service)
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={sig}"


# --- the backend -------------------------------------------------------------------------------


class TencentSmsBackend(BaseSmsBackend):
    requires_provider_template_id = True
    template_id_field = "tencent_template_id"
    batch_size = 10  # one request per message (each has its own parameters): a batch is a loop

    def __init__(
        self,
        *args: Any,
        secret_id: str | None = None,
        secret_key: str | None = None,
        sdk_app_id: str | None = None,
        region: str | None = None,
        endpoint: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.secret_id = str(secret_id or getattr(settings, "SMS_TENCENT_SECRET_ID", ""))
        self.secret_key = str(secret_key or getattr(settings, "SMS_TENCENT_SECRET_KEY", ""))
        self.sdk_app_id = str(sdk_app_id or getattr(settings, "SMS_TENCENT_SDK_APP_ID", ""))
        self.region = str(region or getattr(settings, "SMS_TENCENT_REGION", "") or DEFAULT_REGION)
        self.endpoint = str(endpoint or getattr(settings, "SMS_TENCENT_ENDPOINT", "") or DEFAULT_ENDPOINT)
        self.timeout = timeout if timeout is not None else getattr(settings, "SMS_GATEWAY_TIMEOUT", 10)
        if not (self.secret_id and self.secret_key and self.sdk_app_id):
            raise ImproperlyConfigured(
                "SMS_TENCENT_SECRET_ID, SMS_TENCENT_SECRET_KEY and SMS_TENCENT_SDK_APP_ID must be set"
            )
        parts = urlsplit(self.endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured("SMS_TENCENT_ENDPOINT must be an http(s) URL")
        self.host = parts.netloc
        self.url = f"{parts.scheme}://{parts.netloc}/"

    def signed_request(self, sms: OutgoingSms, *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """(JSON payload, headers with Authorization) for one SendSms."""
        body: dict[str, Any] = {
            "PhoneNumberSet": [e164_mainland(sms.phone)],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": sms.sign_name,
            "TemplateId": sms.template_code,
            "TemplateParamSet": [str(value) for value in sms.params.values()],
        }
        if sms.out_id:
            body["SessionContext"] = sms.out_id
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Authorization": authorization(
                secret_id=self.secret_id, secret_key=self.secret_key, host=self.host, payload=payload, timestamp=stamp
            ),
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(stamp),
            "X-TC-Version": API_VERSION,
            "X-TC-Region": self.region,
        }
        return payload, headers

    def send(self, sms: OutgoingSms) -> str:
        payload, headers = self.signed_request(sms)
        status, answer = post(self.url, body=payload, headers=headers, timeout=self.timeout, provider="tencent")
        response = answer.get("Response")
        if not isinstance(response, dict):
            # No API answer at all (a proxy's error page, a 5xx): the request may not have been read.
            verdict = Disposition.RETRY if status == 429 or status >= 500 else Disposition.FAIL
            raise_for(verdict, f"tencent HTTP {status} without an API answer")
        error = response.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code") or "")
            raise_for(disposition(code), f"tencent refused: {code} {error.get('Message', '')}".strip()[:300])
        statuses = response.get("SendStatusSet")
        first = statuses[0] if isinstance(statuses, list) and statuses and isinstance(statuses[0], dict) else {}
        code = str(first.get("Code") or "")
        if code == "Ok" and first.get("SerialNo"):
            return str(first["SerialNo"])
        if not code:
            raise_for(Disposition.RETRY, "tencent answered without a send status")
        raise_for(disposition(code), f"tencent refused: {code} {first.get('Message', '')}".strip()[:300])


SmsBackend = TencentSmsBackend
