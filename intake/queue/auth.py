"""A queue device's key: `Authorization: Key <key>`, as a channel's (intake.auth), looked up among devices."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from govservice.throttling import SlidingWindowThrottle

from ..auth import LAST_USED_RESOLUTION_SECONDS, _parse_key, refuse_key_in_url
from ..models import hash_key
from .models import QueueDevice


def queue_device_lookup(raw: str) -> QueueDevice:
    """The active device for `raw`, or AuthenticationFailed (403, as a channel key's)."""
    prefix = _parse_key(raw)
    device = QueueDevice.objects.select_related("centre").filter(prefix=prefix).first() if prefix is not None else None
    if device is None or not hmac.compare_digest(device.key_hash, hash_key(raw)):
        raise exceptions.AuthenticationFailed(_("叫号设备密钥无效。"))
    if not device.is_active:
        raise exceptions.AuthenticationFailed(_("叫号设备密钥已吊销。"))
    now = timezone.now()
    if device.last_used_at is None or (now - device.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        QueueDevice.objects.filter(pk=device.pk).update(last_used_at=now)
    return device


class QueueDeviceAuthentication(BaseAuthentication):
    """`Authorization: Key <device key>`; never the query string. request.auth is the QueueDevice."""

    keyword = "Key"

    def authenticate(self, request: Request) -> tuple[Any, QueueDevice] | None:
        refuse_key_in_url(request)
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, value = header.partition(" ")
        if not header or scheme != self.keyword:
            return None
        raw = value.strip()
        if not raw:
            raise exceptions.AuthenticationFailed(_("叫号设备密钥无效。"))
        return AnonymousUser(), queue_device_lookup(raw)


class HasQueueDevice(BasePermission):
    message = _("需要有效的叫号设备密钥。")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, QueueDevice)


def device_of(request: Request) -> QueueDevice:
    if not isinstance(request.auth, QueueDevice):
        raise exceptions.PermissionDenied(HasQueueDevice.message)
    return request.auth


class QueueDeviceThrottle(SlidingWindowThrottle):
    """Per device, rate `queue_device` (THROTTLE_QUEUE_DEVICE)."""

    scope = "queue_device"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, QueueDevice):
            return self.cache_format % {"scope": self.scope, "ident": f"device{request.auth.pk}"}
        return self.cache_format % {"scope": "public", "ident": self.get_ident(request)}


class QueueDeviceKeySchema(OpenApiAuthenticationExtension):
    target_class = "intake.queue.auth.QueueDeviceAuthentication"
    name = "queueDeviceKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <queue device key>` (issued in the admin under 叫号设备). Never in the URL: 400.",
        }
