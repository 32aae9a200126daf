"""Open311 errors: [{code, description}] / <errors><error>, with the spec's status codes."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from govservice.exceptions import DomainError

from .formats import to_xml


def _errors(status_code: int, descriptions: list[str]) -> list[dict[str, Any]]:
    return [{"code": status_code, "description": d} for d in descriptions]


def open311_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed, exceptions.PermissionDenied)):
        code, messages = 403, [force_str(exc.detail)]
    elif isinstance(exc, (Http404, exceptions.NotFound)):
        code, messages = 404, [force_str(getattr(exc, "detail", "") or _("未找到。"))]
    elif isinstance(exc, exceptions.Throttled):
        code, messages = 429, [force_str(exc.detail)]
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; the stub leaves it out
        if wait is not None:
            headers["Retry-After"] = str(int(wait) + 1)
    elif isinstance(exc, exceptions.ValidationError):
        code, messages = 400, _flatten(exc.detail)
    elif isinstance(exc, DomainError):
        code = exc.status_code if exc.status_code in (403, 404) else 400
        messages = [f"{exc.field}: {exc.message}" if exc.field else exc.message]
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code if exc.status_code in (403, 404, 405, 413, 429) else 400
        messages = [force_str(exc.detail)]
    else:
        return None
    return Response(_errors(code, messages), status=code, headers=headers)


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        out: list[str] = []
        for key, sub in detail.items():
            out += _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(detail, list):
        return [m for sub in detail for m in _flatten(sub, prefix)]
    return [f"{prefix}: {force_str(detail)}" if prefix else force_str(detail)]


def open311_bad_input(request: HttpRequest, field: str, message: str) -> HttpResponse:
    """A request refused for a control character (govservice.input_guard), in GeoReport's error shape."""
    errors = _errors(400, [f"{field}: {message}"])
    if request.path.endswith(".xml"):
        return HttpResponse(to_xml(errors, "errors"), status=400, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(errors, ensure_ascii=False), status=400, content_type="application/json; charset=utf-8"
    )
