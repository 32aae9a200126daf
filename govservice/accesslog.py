"""gunicorn's access log without secrets: no query string of an API path, no key anywhere in a line.

gunicorn writes its access lines itself, not through Django's logging, so MaskingLogFilter never sees
them. gunicorn.conf.py names this class (`logger_class`), so every `gunicorn` started in the project's
directory (Dockerfile, docker-compose, bench) uses it.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from govservice.masking import scrub
from govservice.redaction import is_api_path, redact, strip_api_query

# Atoms that carry the whole query string or credentials whatever the path.
_QUERY_ATOMS = ("q", "{query_string}e")
_CREDENTIAL_ATOMS = ("{authorization}i", "{http_authorization}e", "{cookie}i", "{http_cookie}e")


class AccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        if is_api_path(path):
            for name in _QUERY_ATOMS:
                if name in atoms:
                    atoms[name] = ""
            raw_uri = str(environ.get("RAW_URI") or path).split("?", 1)[0]
            atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {raw_uri} {environ.get('SERVER_PROTOCOL', '-')}"
            atoms["{raw_uri}e"] = raw_uri
        for name in _CREDENTIAL_ATOMS:
            if name in atoms:
                atoms[name] = "***"
        return {
            name: scrub(strip_api_query(redact(value))) if isinstance(value, str) else value
            for name, value in atoms.items()
        }
