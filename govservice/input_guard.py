"""Control characters (U+0000 and the other C0 controls but tab and line breaks, and DEL) are refused with a 400.

No field of this product takes them, and they do harm further on: PostgreSQL refuses U+0000 in any text (a
ledger filter `?q=%00` was a 500), and the others corrupt exports and logs. Checked once for every request:

- the middleware, before the view: query parameters, URL parts, and form fields (url-encoded always,
  multipart for non-API views; an API view's multipart body is its parsers' to read);
- the parsers of the REST API (`GuardedJSONParser` and its form siblings): every key and string of the body.

The answer names the field. Its shape follows the caller: the API's error shape under /api/, an HTML page for
screens, and the shape an app registers for its own URL space (`register_bad_input_renderer`: Open311).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# (path prefix, renderer(request, field, message)) for URL spaces with an error shape of their own.
BadInputRenderer = Callable[[HttpRequest, str, str], HttpResponse]
_renderers: dict[str, BadInputRenderer] = {}


def register_bad_input_renderer(prefix: str, renderer: BadInputRenderer) -> None:
    """Answer a refused request under `prefix` with `renderer` (an app's AppConfig.ready() calls this)."""
    _renderers[prefix] = renderer


def has_control_character(value: object) -> bool:
    return isinstance(value, str) and CONTROL_CHARACTERS.search(value) is not None


def message_for(field: str) -> str:
    return _("“%(field)s”含有不允许的控制字符（如 U+0000），请删除后重新提交。") % {"field": printable(field)}


def printable(name: str) -> str:
    """A field name fit to echo (and to store: PostgreSQL's jsonb cannot hold U+0000)."""
    return CONTROL_CHARACTERS.sub("\ufffd", name)


def field_in_pairs(pairs: Iterable[tuple[str, object]]) -> str | None:
    """The first field whose name or value has a control character, or None."""
    for name, value in pairs:
        if has_control_character(name) or has_control_character(value):
            return name
    return None


def field_in_data(data: Any, prefix: str = "") -> str | None:
    """The first key path ("a.0.b") in parsed JSON whose key or string value has a control character."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if has_control_character(key):
                return path
            found = field_in_data(value, path)
            if found is not None:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = field_in_data(value, f"{prefix}.{index}" if prefix else str(index))
            if found is not None:
                return found
    elif has_control_character(data):
        return prefix or "non_field_errors"
    return None


def _refuse(field: str) -> None:
    raise exceptions.ValidationError({printable(field): [message_for(field)]})


def _refuse_in_querydict(data: Any) -> None:
    if hasattr(data, "lists"):
        field = field_in_pairs((name, value) for name, values in data.lists() for value in values)
        if field is not None:
            _refuse(field)


class GuardedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        field = field_in_data(data)
        if field is not None:
            _refuse(field)
        return data


class GuardedFormParser(FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_in_querydict(data)
        return data


class GuardedMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_in_querydict(parsed.data)
        return parsed


def _is_api_view(view_func: Callable[..., Any]) -> bool:
    # DRF's as_view() keeps the class on the function it returns.
    return getattr(view_func, "cls", None) is not None and hasattr(view_func, "initkwargs")


def _refusal(request: HttpRequest, field: str, *, api: bool) -> HttpResponse:
    message = message_for(field)
    for prefix, renderer in _renderers.items():
        if request.path.startswith(prefix):
            return renderer(request, printable(field), message)
    if api or request.path.startswith("/api/"):
        # The error shape of govservice.exceptions, written out: that module imports DRF's settings, which
        # import this module (DEFAULT_PARSER_CLASSES), so importing it here would be a cycle.
        body = {"code": "invalid", "message": _("提交的数据有误。"), "errors": {printable(field): [message]}}
        return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
    return render(request, "bad_input.html", {"message": message}, status=400)


class ControlCharacterMiddleware:
    """Refuse (400) a request whose query, URL parts or form fields hold a control character."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        content_type = request.content_type or ""
        # Only the path to check (a JSON POST, a page without a query): no query dict or pair list to build.
        if (
            not view_kwargs
            and not request.META.get("QUERY_STRING")
            and content_type not in FORM_TYPES
            and CONTROL_CHARACTERS.search(request.path_info) is None
        ):
            return None
        api = _is_api_view(view_func)
        pairs: list[tuple[str, object]] = [("path", request.path_info)]
        pairs += [(str(name), value) for name, value in view_kwargs.items()]
        pairs += [(name, value) for name, values in request.GET.lists() for value in values]
        # Reading a url-encoded body keeps it for the view; a multipart one is consumed, which an API view's
        # parsers must do themselves (they check it too).
        if content_type == FORM_TYPES[0] or (content_type == FORM_TYPES[1] and not api):
            pairs += [(name, value) for name, values in request.POST.lists() for value in values]
        field = field_in_pairs(pairs)
        if field is None:
            return None
        return _refusal(request, field, api=api)
