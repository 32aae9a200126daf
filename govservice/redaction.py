"""Secrets out of log lines: channel keys, `api_key=` style parameters, credentials, API query strings.

The personal-data mask (masking.py) knows phones and ID numbers; this module knows secrets. Both run in
`MaskingLogFilter`, on every record any handler sees; the gunicorn access log (govservice/accesslog.py)
uses `redact()` and `strip_api_query()` too, since its lines never pass through Django's logging.

A channel key reads `gsk_<8 hex prefix>_<43 url-safe characters>` (intake.models.ChannelKey.generate).
The prefix is not secret (the admin lists it, it names the key in the log), so a masked key keeps it:
`gsk_1a2b3c4d_***` still tells an administrator which key leaked and must be replaced.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from django.http import HttpRequest

KEY_SCHEME = "gsk"
# Anything shaped like a channel key, whole or cut short, even glued to the text before it; not a key
# masked already (a record passes every handler's filter: masking twice must change nothing).
KEY_RE = re.compile(rf"{KEY_SCHEME}_(?![0-9a-fA-F]{{8}}_\*)(?:([0-9a-fA-F]{{8}})_)?[A-Za-z0-9_\-]{{4,}}")
# `name=value` of the usual credential parameters (query strings, form bodies, URLs in messages).
_PARAM_RE = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(api[_-]?key|access[_-]?token|token|secret|password|signature)=([^&\s\"'<>;,]+)"
)
# `Authorization: Key …` / `Bearer …` echoed into a message (a key masked above keeps its prefix).
_AUTH_RE = re.compile(
    rf"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:key|bearer|token|basic)\s+)(?!{KEY_SCHEME}_[0-9a-f]{{8}}_\*)[^\s\"',;]+"
)
# Paths of the machine APIs: their query strings are never logged (a key sent there by mistake).
API_PATH_PREFIXES = ("/api/", "/open311/")
_API_QUERY_RE = re.compile(r"((?:/api/|/open311/)[^\s?\"'#<>]*)\?[^\s\"'#<>]*")
# Query parameter names a client may put a key in; any value shaped like a key counts too.
KEY_PARAM_NAMES = frozenset({"api_key", "apikey", "api-key", "key", "access_token", "access-token"})


def _mask_key(match: re.Match[str]) -> str:
    prefix = match.group(1)
    return f"{KEY_SCHEME}_{prefix}_***" if prefix else f"{KEY_SCHEME}_***"


def redact(text: str) -> str:
    """`text` with every key-shaped token, credential parameter and Authorization value masked."""
    if not text:
        return text
    text = KEY_RE.sub(_mask_key, text)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}=***", text)
    return _AUTH_RE.sub(lambda m: f"{m.group(1)}***", text)


def strip_api_query(text: str) -> str:
    """Drop the query string of every API path in `text` (request lines, URLs)."""
    return _API_QUERY_RE.sub(r"\1", text) if "?" in text else text


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def carries_key(params: Iterable[tuple[str, list[str]]]) -> bool:
    """Whether query parameters (`QueryDict.lists()`) hold a key: by name, or by a value shaped like one."""
    for name, values in params:
        if name.lower() in KEY_PARAM_NAMES:
            return True
        if any(KEY_RE.search(value) for value in values):
            return True
    return False


def _request_summary(request: HttpRequest) -> str:
    return f"{request.method} {request.path}"  # the path only: a query string may carry a key


def redact_record(record: logging.LogRecord) -> None:
    """Mask secrets in a record whose message is already formatted (MaskingLogFilter calls this)."""
    record.msg = strip_api_query(redact(str(record.msg)))
    for key, value in list(vars(record).items()):
        if key in _STANDARD_ATTRS:
            continue
        if isinstance(value, str):
            setattr(record, key, strip_api_query(redact(value)))
        elif isinstance(value, HttpRequest):
            # django.request's `request` extra: a JSON formatter writes str(request), which is the full URL.
            setattr(record, key, _request_summary(value))


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}
