"""Which platforms the outbox talks to, and how each one wants its requests.

A platform registers an adapter once, in its app's `AppConfig.ready()`:

    platform_register(PlatformAdapter(code="hotline", label=_("12345 热线平台"), batch_size=1))

Its endpoint and shared secret come from the settings (`PLATFORM_ENDPOINTS[code]`, read from
`PLATFORM_<CODE>_URL` and `PLATFORM_<CODE>_SECRET`), never from the database: a compromised admin
account cannot redirect citizens' data to another address.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from govservice.outbound import OutboundResponse

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise

    from .models import PlatformMessage


@dataclass(frozen=True)
class Answer:
    """What a platform's 2xx answer said about each message of the request.

    A message in neither map was received (status "sent") and waits for a later acknowledgement
    (`platform_message_acknowledge`, called by a callback or by the platform's reconciliation).
    """

    acknowledged: dict[str, str] = field(default_factory=dict)  # message id → the platform's reference
    rejected: dict[str, str] = field(default_factory=dict)  # message id → the platform's reason


def message_item(message: PlatformMessage) -> dict[str, Any]:
    """The generic envelope of one message (the default body lists these)."""
    return {
        "message_id": str(message.message_id),
        "stream": message.stream_key,
        "sequence": message.sequence,
        "kind": message.kind,
        "created_at": timezone.localtime(message.created_at).isoformat(),
        "payload": message.payload,
    }


def default_body(code: str, messages: Sequence[PlatformMessage]) -> dict[str, Any]:
    return {"platform": code, "messages": [message_item(m) for m in messages]}


def default_answer(response: OutboundResponse, messages: Sequence[PlatformMessage]) -> Answer:
    """Reads `{"acknowledged": [{"message_id", "reference"}], "rejected": [{"message_id", "reason"}]}`.

    Both lists are optional; an answer that is not JSON (or another shape) acknowledges nothing.
    Ids not in this request are ignored: an answer speaks only for what was asked.
    """
    asked = {str(m.message_id) for m in messages}
    try:
        data = json.loads(response.body.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        return Answer()
    if not isinstance(data, dict):
        return Answer()
    acknowledged: dict[str, str] = {}
    rejected: dict[str, str] = {}
    for item in data.get("acknowledged") or []:
        if isinstance(item, dict) and str(item.get("message_id")) in asked:
            acknowledged[str(item["message_id"])] = str(item.get("reference") or "")[:100]
    for item in data.get("rejected") or []:
        if isinstance(item, dict) and str(item.get("message_id")) in asked:
            rejected[str(item["message_id"])] = str(item.get("reason") or "rejected")[:500]
    return Answer(acknowledged=acknowledged, rejected=rejected)


@dataclass(frozen=True)
class PlatformAdapter:
    code: str  # ASCII, as stored on every message and used in the settings' names
    label: _StrOrPromise
    batch_size: int = 1  # messages per request; several streams share a request, one stream never twice
    build_body: Callable[[str, Sequence[PlatformMessage]], dict[str, Any]] = default_body
    read_answer: Callable[[OutboundResponse, Sequence[PlatformMessage]], Answer] = default_answer


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str


_adapters: dict[str, PlatformAdapter] = {}


def platform_register(adapter: PlatformAdapter) -> None:
    """Register (or replace, for tests) the adapter of `adapter.code`."""
    if not adapter.code.isascii() or not adapter.code or len(adapter.code) > 40:
        raise ImproperlyConfigured(f"platform code {adapter.code!r}: ASCII, 1–40 characters")
    if adapter.batch_size < 1:
        raise ImproperlyConfigured(f"platform {adapter.code}: batch_size must be at least 1")
    _adapters[adapter.code] = adapter


def platform_unregister(code: str) -> None:
    _adapters.pop(code, None)


def platform_get(code: str) -> PlatformAdapter:
    try:
        return _adapters[code]
    except KeyError:
        raise ImproperlyConfigured(f"no platform adapter registered as {code!r}") from None


def platform_codes() -> list[str]:
    return sorted(_adapters)


def platform_label(code: str) -> _StrOrPromise:
    adapter = _adapters.get(code)
    return adapter.label if adapter is not None else code


def platform_endpoint(code: str) -> Endpoint | None:
    """The configured URL and secret, or None when the platform is not set up here (its messages wait)."""
    entry = settings.PLATFORM_ENDPOINTS.get(code) or {}
    url, secret = entry.get("url", ""), entry.get("secret", "")
    if not url or not secret:
        return None  # no secret, no sending: an unsigned request would be refused, or worse, accepted
    return Endpoint(url=url, secret=secret)
