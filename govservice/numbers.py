"""One normalisation per kind of number: phones and ID numbers as people type them.

A citizen, a window clerk or a channel's export may write the same mobile as `13912345678`,
`139-1234-5678`, `１３９ １２３４ ５６７８` (a Chinese input method in full-width mode),
`+86 (139) 1234.5678` or `0086-139…`, and the same ID with a lower-case `x`. Every place that
validates, hashes (`govservice.crypto.lookup_hash`), masks or searches a number first brings it
to one spelling here, so that one number is one value everywhere: a lookup by phone finds the
record whatever spelling was stored, and a validator never rejects a number for its width.

What goes: NFKC folding (full-width digits, letters, `＋`, `（）` and the ideographic space
become ASCII), whitespace, every kind of dash (hyphen, en/em dash, minus sign, `－`), dots
(`.`, `·`, `。`) and brackets. For a phone, a +86 / 0086 / 86 country prefix before an
11-digit mobile. For an ID number, a lower-case check character `x` becomes `X`.
Anything else (a letter in a phone, a wrong length) is left in place for the validator to
reject: normalising never makes an invalid number look valid.
"""

from __future__ import annotations

import re
import unicodedata

# Separators people put between digit groups, after NFKC: whitespace, dashes (every Unicode
# dash punctuation, plus the minus sign and the hyphen bullet), dots and brackets.
_SEPARATORS = re.compile(
    r"[\s\-\u2010-\u2015\u2212\u2043\ufe58\ufe63.\u00b7\u30fb\u3002()\[\]{}\u3010\u3011\u3014\u3015]+"
)
_MOBILE = re.compile(r"1[3-9]\d{9}")
# The country code of the mainland: +86, 0086 or a bare 86, only when an 11-digit mobile follows
# (a landline 086… or a 13-digit code that merely starts with 86 stays as it is).
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)(?=1[3-9]\d{9}$)")


def _fold(value: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def normalize_phone(value: str | None) -> str:
    """`+86 (139) 1234-5678`, `１３９－１２３４－５６７８` → `13912345678`; `010-1234 5678` → `01012345678`."""
    return _COUNTRY_PREFIX.sub("", _fold(value or ""))


def normalize_id_number(value: str | None) -> str:
    """`110105 19491231 002x`, `１１０１０５…００２Ｘ` → `11010519491231002X` (also a credit code, upper-cased)."""
    return _fold(value or "").upper()


def normalize_number(value: str | None) -> str:
    """Either kind, when the caller does not say which (the keyed lookup hash): a phone loses its
    country prefix and an ID its lower-case x. Stripping the prefix never shortens an ID number:
    `86` + a mobile is 13 characters (no ID has 13) and `0086` + a mobile starts with 0 (a 15- or
    18-character ID starts with a region code, 1-9)."""
    return normalize_phone(value).upper()


def is_mobile(value: str) -> bool:
    """Whether an already normalised value is a mainland mobile number."""
    return bool(_MOBILE.fullmatch(value))
