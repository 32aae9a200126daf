"""One small error hierarchy for the domain, and its mapping to HTTP.

Every API error has one JSON shape:
    {"code": "invalid", "message": "...", "errors": {"field": ["message", ...]}}
`errors` is present for validation errors only; messages follow the request's
language (zh-hans by default, en on request).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

logger = logging.getLogger(__name__)

# Seconds a caller is asked to wait when the database is briefly unreachable (a restart, a fail-over).
RETRY_AFTER_SECONDS = 5


class DomainError(Exception):
    """A business rule said no. Subclasses set the HTTP status and code."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "domain_error"
    default_message = gettext_lazy("操作不符合业务规则。")

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = force_str(message if message is not None else self.default_message)
        self.field = field
        super().__init__(self.message)


class ValidationFailed(DomainError):
    code = "invalid"
    default_message = gettext_lazy("提交的数据有误。")


class InvalidTransition(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "invalid_transition"

    def __init__(self, *, current: str, requested: str, message: str | None = None) -> None:
        self.current = current
        self.requested = requested
        super().__init__(
            message or _("不能从“%(current)s”变更为“%(requested)s”。") % {"current": current, "requested": requested}
        )


class NotPermitted(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "not_permitted"
    default_message = gettext_lazy("您没有权限执行此操作。")


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = gettext_lazy("未找到。")


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = gettext_lazy("与现有数据冲突。")


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail → {"field": ["message"]} (nested fields joined with dots)."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list) and value and all(not isinstance(v, (dict, list)) for v in value):
            out.setdefault(prefix or "non_field_errors", []).extend(force_str(v) for v in value)
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(force_str(value))

    walk("", detail)
    return out


def error_body(code: str, message: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The connection was lost or refused (a database restart): the transaction did not commit, and
        # the same request (with its Idempotency-Key) can be sent again. Say so, instead of a bare 500.
        logger.warning("database unavailable during %s: %s", type(context.get("view")).__name__, exc.__class__.__name__)
        unavailable = Response(
            error_body("unavailable", _("服务暂时不可用，请稍后重试。")), status=status.HTTP_503_SERVICE_UNAVAILABLE
        )
        unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return unavailable
    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else None
        return Response(error_body(exc.code, exc.message, errors), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = error_body("invalid", _("提交的数据有误。"), _flatten(exc.detail))
    elif isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        message = force_str(detail) if not isinstance(detail, (dict, list)) else _("请求有误。")
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(str(code), message)
    return response
