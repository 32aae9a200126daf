"""Encrypted model fields for citizens' phone and ID-card numbers.

Values are stored with Fernet (AES-128-CBC + HMAC), so a database dump does not
reveal them. The key comes from FIELD_ENCRYPTION_KEY (comma-separated for key
rotation: the first encrypts, all decrypt). Encryption is randomised, so the
column cannot be searched: store `lookup_hash(value)` beside it when a lookup
is needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

PREFIX = "enc1:"


def _derive(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


@cache
def _keys() -> tuple[bytes, ...]:
    raw = settings.FIELD_ENCRYPTION_KEY or f"derived-from-secret:{settings.SECRET_KEY}"
    return tuple(_derive(part.strip()) for part in raw.split(",") if part.strip())


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        return token  # not encrypted (never written by this code path)
    try:
        return _fernet().decrypt(token[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEY") from exc


def lookup_hash(value: str) -> str:
    """A keyed hash for equality lookups and de-duplication; empty for empty input."""
    if not value:
        return ""
    normalized = value.strip().upper().replace(" ", "").replace("-", "")
    return hmac.new(_keys()[0], normalized.encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """Stores the value encrypted; reads give back the clear value in Python.

    Never put it in list_display, search_fields or a filter: mask on output.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith(PREFIX):
            return decrypt(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
