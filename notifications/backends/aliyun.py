"""Aliyun SMS (阿里云短信服务, dysmsapi, API version 2017-05-25): SendSms, one message per request.

Signing: **ACS3-HMAC-SHA256** (Aliyun's "V3 request structure and signature"). It is what the current
official SDK sends: alibabacloud_dysmsapi20170525 calls the OpenAPI core's `call_api`, which takes the V3
path (`do_request`, default algorithm ACS3-HMAC-SHA256) unless a client is explicitly configured with
`signature_algorithm="v2"`; the older RPC signature v1 (HMAC-SHA1 over the sorted query) is only that
legacy path. The algorithm, as documented:

    CanonicalRequest = METHOD \n URI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n hex(sha256(body))
    CanonicalQueryString: parameters sorted by name, names and values percent-encoded (RFC 3986: space %20,
        `*` %2A, `~` kept), joined `k=v&k=v`
    CanonicalHeaders: host, content-type and every x-acs-* header, lower-case names, sorted, `name:value\n` each
    StringToSign = "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest))
    Signature = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
    Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>

SendSms is an RPC-style operation: its parameters travel in the query string of a POST with an empty body
(as the SDK sends them), with headers x-acs-action: SendSms, x-acs-version: 2017-05-25, x-acs-date (UTC,
yyyy-MM-ddTHH:mm:ssZ), x-acs-signature-nonce and x-acs-content-sha256. tests/notifications check the signer
against the documentation's worked example (ECS RunInstances, Signature=06563a9e…).

Why no SDK: the official one is four packages (dysmsapi, tea-openapi, tea-util, credentials) with their own
HTTP stack; every outbound request here must go through govservice.outbound (address checks, no redirects,
pinned connections), which the SDK's transport would bypass. The signature is sixty lines of hashlib/hmac.

Parameters are NAMED: TemplateParam is the JSON object {name: value} of the template's parameters, matching
`${name}` in the template Aliyun approved. The template's code is `SmsTemplate.aliyun_template_code`.

Delivery reports: Aliyun's HTTP batch push (SmsReport, "HTTP批量推送") carries no signature, so the URL the
administrator enters in the console holds a per-deployment secret (`SMS_ALIYUN_REPORT_TOKEN`); see api.py.
OutId is the outbox's `<message id>-<attempt>`: a report is also checked against it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import BaseSmsBackend, OutgoingSms
from .cloud import Disposition, mainland_mobile, post, raise_for

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION = "SendSms"
API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"

R, F = Disposition.RETRY, Disposition.FAIL

# SendSms's answer codes (Aliyun SMS error-code list, and the OpenAPI gateway's common codes) → what the
# outbox does. RETRY: busy, throttled, or a problem on Aliyun's side; FAIL: the number, the template, the
# sign, the content or the account is wrong, and the same request would be refused again.
CODES: dict[str, Disposition] = {
    # Aliyun's side (isp = the service provider)
    "isp.SYSTEM_ERROR": R,
    "isp.RAM_PERMISSION_DENY": F,  # the RAM user may not call SendSms: the administrator grants it
    # throttling: per number per minute/hour (业务限流) and the API's own rate limit
    "isv.BUSINESS_LIMIT_CONTROL": R,
    "Throttling": R,
    "Throttling.User": R,
    "Throttling.Api": R,
    "ServiceUnavailable": R,
    "InternalError": R,
    "SignatureNonceUsed": R,  # a nonce collision: the next attempt signs with a new one
    # a number's daily quota (触发日发送限额): not before tomorrow, later than the outbox's back-off
    "isv.DAY_LIMIT_CONTROL": F,
    # the number
    "isv.MOBILE_NUMBER_ILLEGAL": F,
    "isv.MOBILE_COUNT_OVER_LIMIT": F,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": F,
    "isv.BLACK_KEY_CONTROL_LIMIT": F,  # a blacklisted word
    "isv.CUSTOMER_REFUSED": F,  # the recipient refused (blacklist / unsubscribed at the provider)
    # template, sign, parameters
    "isv.SMS_TEMPLATE_ILLEGAL": F,
    "isv.SMS_SIGNATURE_ILLEGAL": F,
    "isv.SMS_SIGN_ILLEGAL": F,
    "isv.SMS_CONTENT_ILLEGAL": F,
    "isv.TEMPLATE_MISSING_PARAMETERS": F,
    "isv.TEMPLATE_PARAMS_ILLEGAL": F,
    "isv.INVALID_JSON_PARAM": F,
    "isv.INVALID_PARAMETERS": F,
    "isv.PARAM_LENGTH_LIMIT": F,
    "isv.PARAM_NOT_SUPPORT_URL": F,
    "isv.EXTEND_CODE_ERROR": F,
    # the account
    "isv.AMOUNT_NOT_ENOUGH": F,  # arrears: topped up by a person, then "send again"
    "isv.OUT_OF_SERVICE": F,
    "isv.PRODUCT_UN_SUBSCRIPT": F,
    "isv.PRODUCT_UNSUBSCRIBE": F,
    "isv.ACCOUNT_NOT_EXISTS": F,
    "isv.ACCOUNT_ABNORMAL": F,
    "isv.DENY_IP_RANGE": F,
    # the request's credentials and signature
    "SignatureDoesNotMatch": F,
    "IncompleteSignature": F,
    "InvalidAccessKeyId.NotFound": F,
    "InvalidAccessKeyId.Inactive": F,
    "InvalidTimeStamp.Expired": F,  # the server's clock: every message would fail the same way
    "MissingParameter": F,
    "Forbidden.RAM": F,
}


def disposition(code: str) -> Disposition:
    """What the outbox does with an answer code; total: an unknown isp.* / Throttling* code is Aliyun's
    trouble (RETRY), any other unknown code is taken as a refusal (FAIL, shown to the administrator)."""
    if code in CODES:
        return CODES[code]
    if code.startswith(("isp.", "Throttling", "ServiceUnavailable", "InternalError")):
        return Disposition.RETRY
    return Disposition.FAIL


# --- signing -----------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """RFC 3986: unreserved characters kept, everything else %XX of its UTF-8 bytes (space %20, * %2A)."""
    return quote(value, safe="")


def canonical_query(query: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(query.items()))


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    names = {name.lower() for name in headers}
    return sorted(n for n in names if n in {"host", "content-type"} or n.startswith("x-acs-"))


def string_to_sign(
    *, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """(StringToSign, SignedHeaders) for a request; `headers` must include x-acs-content-sha256."""
    lower = {name.lower(): value.strip() for name, value in headers.items()}
    names = signed_header_names(lower)
    canonical_headers = "".join(f"{name}:{lower[name]}\n" for name in names)
    signed = ";".join(names)
    canonical_request = "\n".join(
        [method.upper(), path or "/", canonical_query(query), canonical_headers, signed, _sha256_hex(body)]
    )
    return f"{ALGORITHM}\n{_sha256_hex(canonical_request.encode())}", signed


def authorization(
    *,
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    to_sign, signed = string_to_sign(method=method, path=path, query=query, headers=headers, body=body)
    signature = hmac.new(access_key_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"


# --- the backend -------------------------------------------------------------------------------


class AliyunSmsBackend(BaseSmsBackend):
    requires_provider_template_id = True
    template_id_field = "aliyun_template_code"
    batch_size = 10  # one request per message: a batch is a loop

    def __init__(
        self,
        *args: Any,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        endpoint: str | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.access_key_id = str(access_key_id or getattr(settings, "SMS_ALIYUN_ACCESS_KEY_ID", ""))
        self.access_key_secret = str(access_key_secret or getattr(settings, "SMS_ALIYUN_ACCESS_KEY_SECRET", ""))
        self.endpoint = str(endpoint or getattr(settings, "SMS_ALIYUN_ENDPOINT", "") or DEFAULT_ENDPOINT)
        self.timeout = timeout if timeout is not None else getattr(settings, "SMS_GATEWAY_TIMEOUT", 10)
        if not (self.access_key_id and self.access_key_secret):
            raise ImproperlyConfigured("SMS_ALIYUN_ACCESS_KEY_ID and SMS_ALIYUN_ACCESS_KEY_SECRET must be set")
        parts = urlsplit(self.endpoint)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured("SMS_ALIYUN_ENDPOINT must be an http(s) URL")
        self.host = parts.netloc  # with a port when the URL has one: what http.client would send as Host
        self.path = parts.path or "/"
        self.base_url = f"{parts.scheme}://{parts.netloc}{self.path}"

    def signed_request(self, sms: OutgoingSms, *, now: datetime | None = None, nonce: str = "") -> tuple[str, dict]:
        """(URL with the canonical query, headers with Authorization) for one SendSms."""
        query = {
            "PhoneNumbers": mainland_mobile(sms.phone),
            "SignName": sms.sign_name,
            "TemplateCode": sms.template_code,
        }
        if sms.params:
            query["TemplateParam"] = json.dumps(sms.params, ensure_ascii=False, separators=(",", ":"))
        if sms.out_id:
            query["OutId"] = sms.out_id
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        headers = {
            "host": self.host,
            "x-acs-action": ACTION,
            "x-acs-version": API_VERSION,
            "x-acs-date": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
            "x-acs-content-sha256": _sha256_hex(b""),
            "accept": "application/json",
        }
        headers["Authorization"] = authorization(
            method="POST",
            path=self.path,
            query=query,
            headers=headers,
            body=b"",
            access_key_id=self.access_key_id,
            access_key_secret=self.access_key_secret,
        )
        return f"{self.base_url}?{canonical_query(query)}", headers

    def send(self, sms: OutgoingSms) -> str:
        url, headers = self.signed_request(sms)
        status, payload = post(url, body=b"", headers=headers, timeout=self.timeout, provider="aliyun")
        code = str(payload.get("Code") or "")
        if status == 200 and code == "OK":
            # BizId is what the delivery report names; a request id stands in should an answer lack it.
            return str(payload.get("BizId") or f"aliyun-request-{payload.get('RequestId', '')}")
        detail = f"aliyun refused: {code or f'HTTP {status}'} {payload.get('Message', '')}".strip()
        verdict = disposition(code) if code else Disposition.FAIL
        if status == 429 or status >= 500:
            verdict = Disposition.RETRY
        raise_for(verdict, detail[:300])


SmsBackend = AliyunSmsBackend
