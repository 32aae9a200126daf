"""Encrypted model fields for citizens' phone and ID-card numbers, and their keyed lookup hashes.

Values are stored with Fernet (AES-128-CBC + HMAC), so a database dump does not reveal them.
Encryption is randomised, so the column cannot be searched: a `LookupHashField` beside it holds
`lookup_hash(value)` when a lookup is needed.

Two sets of keys, each a comma-separated list whose first entry is the current key and whose
other entries are old keys still accepted while a change is under way:

- FIELD_ENCRYPTION_KEY: the first encrypts, all decrypt.
- FIELD_LOOKUP_KEY: the first hashes new values, every one is tried when looking up
  (`lookup_hashes`), so a record hashed under an old key is still found during a change.

When FIELD_LOOKUP_KEY is unset the lookup keys are derived from the encryption keys, entry by
entry, exactly as before the two were separated (the hash used the first encryption key): data
hashed then keeps matching, and a rotation of FIELD_ENCRYPTION_KEY alone (`new,old`) still finds
the records hashed under `old`. To separate the keys without recomputing a hash, set
FIELD_LOOKUP_KEY to the current first entry of FIELD_ENCRYPTION_KEY; to move to a fresh lookup
key, set FIELD_LOOKUP_KEY=fresh,<that entry> and run `manage.py rotate_field_keys`, then drop the
old entry once it reports every hash recomputed (docs/key-rotation.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

from .numbers import normalize_number

PREFIX = "enc1:"


def _derive(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


def _entries(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@cache
def _keys() -> tuple[bytes, ...]:
    raw = settings.FIELD_ENCRYPTION_KEY or f"derived-from-secret:{settings.SECRET_KEY}"
    return tuple(_derive(part) for part in _entries(raw))


@cache
def _lookup_keys() -> tuple[bytes, ...]:
    entries = _entries(settings.FIELD_LOOKUP_KEY)
    # Unset: the encryption keys' derivation, so hashes written before the setting existed still match.
    return tuple(_derive(part) for part in entries) if entries else _keys()


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


@cache
def _current_fernet() -> Fernet:
    return Fernet(_keys()[0])


def reset_key_caches() -> None:
    """Forget the derived keys (after a settings change in tests, or the rotation command's own check)."""
    for cached in (_keys, _lookup_keys, _fernet, _current_fernet):
        cached.cache_clear()


@receiver(setting_changed)
def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"FIELD_ENCRYPTION_KEY", "FIELD_LOOKUP_KEY", "SECRET_KEY"}:
        reset_key_caches()


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        return token  # not encrypted (never written by this code path)
    try:
        return _fernet().decrypt(token[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEY") from exc


def read_stored(raw: str) -> tuple[str, bool]:
    """A stored column value as (clear value, whether it is already encrypted under the current key).

    A clear legacy value (no prefix) is returned as it is, not current. Raises ValueError when no
    configured key can read it."""
    if not raw.startswith(PREFIX):
        return raw, False
    body = raw[len(PREFIX) :].encode()
    try:
        return _current_fernet().decrypt(body).decode(), True
    except InvalidToken:
        pass
    try:
        return _fernet().decrypt(body).decode(), False
    except InvalidToken as exc:
        raise ValueError("encrypted value cannot be read with the configured FIELD_ENCRYPTION_KEY") from exc


def _hmac(key: bytes, normalized: str) -> str:
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


def lookup_hash(value: str | None) -> str:
    """The keyed hash to store for equality lookups and de-duplication (current lookup key); empty for
    empty input. Every spelling of a number gives one hash (`govservice.numbers`)."""
    normalized = normalize_number(value)
    if not normalized:
        return ""
    return _hmac(_lookup_keys()[0], normalized)


def lookup_hashes(value: str | None) -> list[str]:
    """Every hash a stored record of this value may carry, the current one first: filter with `__in`.

    During a change of FIELD_LOOKUP_KEY rows hashed under an old key are found as well; empty
    input gives an empty list (so `field__in=[]` matches nothing, never every empty hash)."""
    normalized = normalize_number(value)
    if not normalized:
        return []
    return list(dict.fromkeys(_hmac(key, normalized) for key in _lookup_keys()))


def lookup_key_change_under_way() -> bool:
    """Whether old lookup keys are configured beside the current one (stored hashes may differ per key)."""
    return len(set(_lookup_keys())) > 1


class EncryptedCharField(models.TextField):
    """Stores the value encrypted; reads give back the clear value in Python.

    Never put it in list_display, search_fields or a filter: mask on output.
    `manage.py rotate_field_keys` finds every such field by its type and re-encrypts it.
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


class LookupHashField(models.CharField):
    """The keyed hash of another value, declared with where that value lives: `lookup_source` is a field of
    the same model (`"applicant_phone"`) or a path through a foreign key (`"case__applicant_phone"`).

    `manage.py rotate_field_keys` recomputes every such field from its source under the current lookup key.
    For the database it is a plain CharField (64 hex characters): it migrates as one, so declaring a source
    on an existing hash column needs no migration.
    """

    def __init__(self, *args: Any, lookup_source: str, **kwargs: Any) -> None:
        self.lookup_source = lookup_source
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs  # migrations see the CharField it is stored as

    def clone(self) -> LookupHashField:
        _name, _path, args, kwargs = self.deconstruct()
        return self.__class__(*args, lookup_source=self.lookup_source, **kwargs)
