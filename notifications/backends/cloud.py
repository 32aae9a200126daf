"""What the Aliyun and Tencent Cloud backends share: number spelling, error-code dispositions, the HTTP call.

Each provider's own module keeps its signing and its table of codes; this module only says what a
disposition means to the outbox (RETRY → `SmsTransientError`: back-off, then FAILED after SMS_MAX_ATTEMPTS;
FAIL → `SmsPermanentError`: FAILED at once) and sends the signed request through govservice.outbound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NoReturn

from govservice import outbound
from govservice.masking import scrub
from govservice.numbers import is_mobile, normalize_phone

from .base import SmsPermanentError, SmsTransientError


class Disposition(StrEnum):
    RETRY = "retry"  # the provider or the network is busy: the same request may go through later
    FAIL = "fail"  # the request itself is wrong (number, template, sign, account): trying again will not help


def mainland_mobile(phone: str) -> str:
    """The 11-digit mainland mobile in any spelling the outbox may hold (`+86 139…`, `0086…`), or SmsPermanentError."""
    digits = normalize_phone(phone)
    if not is_mobile(digits):
        raise SmsPermanentError("invalid mainland mobile number")  # the number itself stays out of the error
    return digits


def e164_mainland(phone: str) -> str:
    """`+86` and the 11 digits: the E.164 form Tencent Cloud's PhoneNumberSet requires."""
    return "+86" + mainland_mobile(phone)


def raise_for(disposition: Disposition, message: str) -> NoReturn:
    """Raise what the outbox understands; a number the provider echoed in its message is masked here already."""
    message = scrub(message)
    if disposition is Disposition.RETRY:
        raise SmsTransientError(message)
    raise SmsPermanentError(message)


def post(
    url: str, *, body: bytes, headers: Mapping[str, str], timeout: float, provider: str
) -> tuple[int, dict[str, Any]]:
    """Send the signed request; (HTTP status, JSON object answer or {}). No answer at all is transient.

    An https URL in production; http only for a local fake (tests) on an address the deployment allowed.
    """
    try:
        response = outbound.request(
            "POST",
            url,
            body=body,
            headers=headers,
            schemes=("http", "https"),
            connect_timeout=timeout,
            read_timeout=timeout,
        )
    except outbound.OutboundError as exc:
        raise SmsTransientError(f"{provider} unreachable: {exc.detail}") from exc
    try:
        payload = json.loads(response.body.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        payload = {}
    return response.status, payload if isinstance(payload, dict) else {}
