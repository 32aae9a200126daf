"""Channel-key authentication and the per-key / per-IP throttles."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .models import KEY_PREFIX_LENGTH, ChannelKey, hash_key

# last_used_at is advisory: write it at most this often per key, not on every request.
LAST_USED_RESOLUTION_SECONDS = 300


def _parse_key(raw: str) -> str | None:
    parts = raw.split("_")
    if len(parts) < 3 or parts[0] != "gsk" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    return parts[1]


def channel_key_lookup(raw: str) -> ChannelKey:
    """The active key for `raw`, or AuthenticationFailed (rendered as 403: no WWW-Authenticate)."""
    prefix = _parse_key(raw)
    key = ChannelKey.objects.select_related("channel").filter(prefix=prefix).first() if prefix is not None else None
    if key is None or not hmac.compare_digest(key.key_hash, hash_key(raw)):
        raise exceptions.AuthenticationFailed(_("渠道密钥无效。"))
    if not key.is_active:
        raise exceptions.AuthenticationFailed(_("渠道密钥已吊销或渠道已停用。"))
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ChannelKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


class ChannelKeyAuthentication(BaseAuthentication):
    """`Authorization: Key <key>`; for Open311, also the `api_key` form or query parameter.

    request.user stays anonymous: a channel is not a person. request.auth is the ChannelKey.
    """

    keyword = "Key"

    def authenticate(self, request: Request) -> tuple[Any, ChannelKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        raw = ""
        if header:
            scheme, _sep, value = header.partition(" ")
            if scheme != self.keyword:
                return None
            raw = value.strip()
            if not raw:
                raise exceptions.AuthenticationFailed(_("渠道密钥无效。"))
        elif getattr(request, "_open311_api_key", None) is not None:
            raw = request._open311_api_key
        if not raw:
            return None
        return AnonymousUser(), channel_key_lookup(raw)

    # No authenticate_header(): DRF then answers a missing or bad key with 403, as Open311 requires.


class HasChannelKey:
    """Permission: the request carries an active channel key."""

    message = _("需要有效的渠道密钥。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ChannelKey)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return True


class ChannelKeySchema(OpenApiAuthenticationExtension):
    target_class = "intake.auth.ChannelKeyAuthentication"
    name = "channelKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <channel key>` (Open311 POST: the `api_key` form field).",
        }


class ChannelThrottle(SimpleRateThrottle):
    """Per channel key, rate `channel`."""

    scope = "channel"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ChannelKey):
            return self.cache_format % {"scope": self.scope, "ident": f"key{request.auth.pk}"}
        return None


class PublicThrottle(SimpleRateThrottle):
    """Per client IP, rate `public`."""

    scope = "public"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupThrottle(PublicThrottle):
    """Per client IP, rate `lookup` (status look-ups: tracking numbers must not be enumerable)."""

    scope = "lookup"
