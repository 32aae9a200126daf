"""Open311 GeoReport v2 renderers: JSON and schemaless XML (the "Spark convention" mapping)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405 - building XML, never parsing untrusted input

from django.utils import timezone
from rest_framework.renderers import BaseRenderer

# A list under one of these keys becomes <key><item/>…</key>.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def iso(moment: datetime | None) -> str | None:
    """W3C ISO 8601 with the zone offset, to the second (what validators accept)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


# Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso(value) or ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fill(element: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _fill(ET.SubElement(element, key), sub, key)
    elif isinstance(value, list):
        item_tag = SINGULAR.get(tag, "item")
        for sub in value:
            _fill(ET.SubElement(element, item_tag), sub, item_tag)
    else:
        element.text = _text(value)


def to_xml(data: Any, root: str) -> str:
    element = ET.Element(root)
    _fill(element, data, root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


class Open311JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, default=_text).encode()


class Open311XMLRenderer(BaseRenderer):
    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> str:
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        view = renderer_context.get("view")
        if response is not None and response.status_code >= 400:
            root = "errors"
        else:
            root = getattr(view, "xml_root", "response")
        return to_xml(data, root)
