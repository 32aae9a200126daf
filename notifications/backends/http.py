"""A plain HTTP/JSON SMS gateway, shaped like the Chinese providers' APIs.

POST settings.SMS_GATEWAY_URL with
    {"sign_name": "...", "template_code": "SMS_123", "phone": "139...",
     "params": {"name": "value", ...}, "out_id": "<outbox id>-<attempt>"}
and an optional `Authorization: Bearer <SMS_GATEWAY_TOKEN>`; the gateway answers
    {"code": "OK", "message_id": "..."}      (2xx)
Anything else is an error: network trouble, 429 and 5xx are transient (the
outbox tries again with back-off), other answers are permanent.
Delivery receipts come back through the receipts API (see api.py).

The request goes through govservice.outbound like every outbound call: a gateway on the deployment's own
network must be named in OUTBOUND_ALLOWED_NETWORKS. No redirect is followed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from govservice import outbound

from .base import BaseSmsBackend, OutgoingSms, SmsPermanentError, SmsTransientError


class HttpGatewayBackend(BaseSmsBackend):
    # The gateway addresses approved templates by id, and takes one message per
    # request: a batch is a loop, handed over ten at a time (see BaseSmsBackend.batch_size).
    requires_provider_template_id = True
    batch_size = 10

    def __init__(
        self, *args: Any, url: str | None = None, token: str | None = None, timeout: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.url = url or settings.SMS_GATEWAY_URL
        if urlsplit(self.url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http(s) URL")
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT

    def send(self, sms: OutgoingSms) -> str:
        body = json.dumps(
            {
                "sign_name": sms.sign_name,
                "template_code": sms.template_code,
                "phone": sms.phone,
                "params": sms.params,
                "out_id": sms.out_id,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = outbound.request(
                "POST",
                self.url,
                body=body,
                headers=headers,
                schemes=("http", "https"),
                connect_timeout=self.timeout,
                read_timeout=self.timeout,
            )
        except outbound.OutboundError as exc:
            # Nothing was sent, or no answer came: the outbox tries again (a refused address too, once the
            # administrator fixed SMS_GATEWAY_URL or OUTBOUND_ALLOWED_NETWORKS).
            raise SmsTransientError(f"gateway unreachable: {exc.detail}") from exc
        payload = _json(response.body)
        if not 200 <= response.status < 300:
            detail = payload.get("message", "")
            if response.status == 429 or response.status >= 500:
                raise SmsTransientError(f"gateway HTTP {response.status} {detail}".strip())
            raise SmsPermanentError(f"gateway HTTP {response.status} {detail}".strip())
        if payload.get("code") != "OK" or not payload.get("message_id"):
            raise SmsPermanentError(f"gateway refused: {payload.get('code')} {payload.get('message', '')}".strip())
        return str(payload["message_id"])


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


SmsBackend = HttpGatewayBackend
