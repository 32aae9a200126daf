"""Local fakes of Aliyun's and Tencent Cloud's SendSms, on 127.0.0.1, that check signatures as documented.

The verifiers below are written from the providers' documentation on their own (they do not call the
backends' signers), and are themselves checked against the documentation's worked examples in
test_sms_providers.py: a signer and a fake sharing one mistake cannot both pass.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote, unquote, urlsplit

ALIYUN_KEY_ID = "LTAI-test-key-id"
ALIYUN_SECRET = "aliyun-test-secret"
TENCENT_SECRET_ID = "AKID-test-secret-id"
TENCENT_SECRET_KEY = "tencent-test-secret-key"
TENCENT_APP_ID = "1400000001"


# --- Aliyun ACS3-HMAC-SHA256, from "V3 request structure and signature" ---------------------------------


def aliyun_expected_signature(
    *, method: str, path: str, raw_query: str, headers: dict[str, str], signed: list[str], body: bytes, secret: str
) -> str:
    # Query parameters: decoded from the request line, sorted by name, re-encoded per RFC 3986.
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        name, _, value = part.partition("=")
        pairs.append((unquote(name), unquote(value)))
    encoded = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = (
        f"{method}\n{path}\n{encoded}\n{canonical_headers}\n{';'.join(signed)}\n{hashlib.sha256(body).hexdigest()}"
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


_ACS3 = re.compile(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$")
_ALIYUN_REQUIRED = {
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
}


def aliyun_check(
    *, method: str, path: str, raw_query: str, headers: dict[str, str], body: bytes, nonces: set[str]
) -> str:
    """The error code Aliyun would answer for this request's signature, or "" when it is right."""
    match = _ACS3.match(headers.get("authorization", ""))
    if not match:
        return "IncompleteSignature"
    key_id, signed_names, signature = match.groups()
    signed = signed_names.split(";")
    if key_id != ALIYUN_KEY_ID:
        return "InvalidAccessKeyId.NotFound"
    if not set(signed) >= _ALIYUN_REQUIRED or signed != sorted(signed) or any(n not in headers for n in signed):
        return "IncompleteSignature"
    if headers["x-acs-content-sha256"] != hashlib.sha256(body).hexdigest():
        return "SignatureDoesNotMatch"
    sent_at = datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if abs((datetime.now(UTC) - sent_at).total_seconds()) > 15 * 60:
        return "InvalidTimeStamp.Expired"
    expected = aliyun_expected_signature(
        method=method, path=path, raw_query=raw_query, headers=headers, signed=signed, body=body, secret=ALIYUN_SECRET
    )
    if not hmac.compare_digest(expected, signature):
        return "SignatureDoesNotMatch"
    if headers["x-acs-signature-nonce"] in nonces:
        return "SignatureNonceUsed"
    nonces.add(headers["x-acs-signature-nonce"])
    return ""


# --- Tencent TC3-HMAC-SHA256, from "签名方法 v3" --------------------------------------------------------


def tencent_expected_signature(
    *, secret_key: str, service: str, content_type: str, host: str, payload: bytes, timestamp: int
) -> str:
    canonical = (
        "POST\n/\n\n"
        f"content-type:{content_type}\nhost:{host}\n\n"
        "content-type;host\n" + hashlib.sha256(payload).hexdigest()
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n"
        + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    )

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    k_date = sign(("TC3" + secret_key).encode("utf-8"), date)
    k_signing = sign(sign(k_date, service), "tc3_request")
    return hmac.new(k_signing, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


_TC3 = re.compile(
    r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([a-z]+)/tc3_request, "
    r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$"
)


def tencent_check(*, headers: dict[str, str], payload: bytes) -> str:
    """The error code Tencent would answer for this request's signature, or "" when it is right."""
    match = _TC3.match(headers.get("authorization", ""))
    if not match:
        return "AuthFailure.SignatureFailure"
    secret_id, date, service, signed, signature = match.groups()
    if secret_id != TENCENT_SECRET_ID:
        return "AuthFailure.SecretIdNotFound"
    if service != "sms" or signed != "content-type;host":
        return "AuthFailure.SignatureFailure"
    if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
        return "InvalidParameter"
    timestamp = int(headers.get("x-tc-timestamp", "0"))
    if abs(datetime.now(UTC).timestamp() - timestamp) > 300:
        return "AuthFailure.SignatureExpire"
    if date != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d"):
        return "AuthFailure.SignatureFailure"
    expected = tencent_expected_signature(
        secret_key=TENCENT_SECRET_KEY,
        service="sms",
        content_type=headers.get("content-type", ""),
        host=headers.get("host", ""),
        payload=payload,
        timestamp=timestamp,
    )
    return "" if hmac.compare_digest(expected, signature) else "AuthFailure.SignatureFailure"


# --- the servers -------------------------------------------------------------------------------------


@dataclass
class FakeProvider:
    """What the fake received, and how it answers: `codes` maps a phone (as the provider sees it) to an
    answer code; `status` overrides the HTTP status; `rejected` counts refused signatures."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    nonces: set[str] = field(default_factory=set)


def _serve(handle: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict]]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = handle(self, body)
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@contextmanager
def _running(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def fake_aliyun() -> Iterator[FakeProvider]:
    state = FakeProvider()

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        parts = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.items()}
        error = aliyun_check(
            method=request.command,
            path=parts.path,
            raw_query=parts.query,
            headers=headers,
            body=body,
            nonces=state.nonces,
        )
        if error:
            state.rejected.append(error)
            return 400, {"Code": error, "Message": "Specified signature is not matched.", "RequestId": "R-x"}
        query = {unquote(k): unquote(v) for k, _, v in (p.partition("=") for p in parts.query.split("&"))}
        state.requests.append({"query": query, "headers": headers})
        code = state.codes.get(query.get("PhoneNumbers", ""), "OK")
        answer = {"Code": code, "Message": "OK" if code == "OK" else "refused", "RequestId": "R-1"}
        if code == "OK":
            answer["BizId"] = f"{900000 + len(state.requests)}^0"
        return state.status or 200, answer

    server, state.url = _serve(handle)
    with _running(server):
        yield state


@contextmanager
def fake_tencent() -> Iterator[FakeProvider]:
    state = FakeProvider()

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        error = tencent_check(headers=headers, payload=body)
        if error:
            state.rejected.append(error)
            return 200, {"Response": {"Error": {"Code": error, "Message": "signature wrong"}, "RequestId": "r-x"}}
        payload = json.loads(body)
        state.requests.append({"body": payload, "headers": headers})
        if payload.get("SmsSdkAppId") != TENCENT_APP_ID:
            error = "InvalidParameterValue.SdkAppIdNotExist"
            return 200, {"Response": {"Error": {"Code": error, "Message": "no such app"}, "RequestId": "r-y"}}
        phone = payload["PhoneNumberSet"][0]
        code = state.codes.get(phone, "Ok")
        status = {
            "SerialNo": f"2645:{len(state.requests):06d}" if code == "Ok" else "",
            "PhoneNumber": phone,
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": payload.get("SessionContext", ""),
            "Code": code,
            "Message": "send success" if code == "Ok" else f"{phone} refused",  # Tencent may name the number
            "IsoCode": "CN",
        }
        return state.status or 200, {"Response": {"SendStatusSet": [status], "RequestId": "r-1"}}

    server, state.url = _serve(handle)
    with _running(server):
        yield state
