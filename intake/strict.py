"""Strict HTTP input for channel endpoints: body size, content type, JSON, unknown fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.views import APIView

from govservice.input_guard import GuardedJSONParser

from .auth import ChannelKeyAuthentication, ChannelThrottle, HasChannelKey


def max_body_bytes() -> int:
    return settings.INTAKE_MAX_BODY_BYTES


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = _("请求体过大。")


class StrictJSONParser(GuardedJSONParser):
    """JSON with a translated message; Python's decoder text is not for citizens or partners.

    Guarded: a string or key with a control character is a 400 naming the field (govservice.input_guard)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as exc:
            raise exceptions.ParseError(_("请求体不是有效的 JSON。")) from exc


def refuse_oversized(request: Request, limit: int) -> None:
    """Compare the declared length with the limit before anything reads the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise exceptions.ParseError(_("Content-Length 无效。")) from exc
    if length > limit:
        raise BodyTooLarge(_("请求体过大（上限 %(limit)d 字节）。") % {"limit": limit})


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error, not silently dropped: a typo must not lose data."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                # Echoed without U+0000: PostgreSQL's jsonb, where the idempotency record keeps
                # this answer, cannot hold it (the request failed with a 500 instead of this 400).
                raise serializers.ValidationError(
                    {name.replace("\x00", "\ufffd"): [_("不支持此字段。")] for name in unknown}
                )
        return super().to_internal_value(data)


class ChannelApiView(APIView):
    """Base for endpoints a channel partner calls with its key."""

    authentication_classes = [ChannelKeyAuthentication]
    permission_classes = [HasChannelKey]
    throttle_classes = [ChannelThrottle]
    parser_classes = [StrictJSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refuse_oversized(request, max_body_bytes())
        super().initial(request, *args, **kwargs)


# The shared error shape's own messages (govservice/exceptions.py). Listed here so this
# app's catalogue carries their English too: partners get whole-English errors on
# `Accept-Language: en` even while the project catalogue lags behind.
SHARED_ERROR_MESSAGES = (
    _("提交的数据有误。"),
    _("请求有误。"),
    _("未找到。"),
    _("您没有权限执行此操作。"),
    _("与现有数据冲突。"),
)
