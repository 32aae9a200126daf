"""Masking of personal data (phone, ID-card number, name).

One helper for every output: screens, API responses, exports and log lines.
Full values leave the system only through a permission-checked, logged path.
"""

from __future__ import annotations

import logging
import re

from govservice.redaction import redact_record

from .numbers import normalize_id_number, normalize_phone

# A digit as people type it: ASCII or full-width (１３８…, what a Chinese input method gives in full-width
# mode). Between any two characters of a number up to two separators: spaces, dashes, dots and brackets of
# either width (govservice.numbers folds the same ones). A number spelled this way is still the number, so
# it is masked like the ASCII one.
_D = "[0-9\uff10-\uff19]"
_SEPARATORS = (
    " \u3000\t"  # spaces
    "\\-\u2010-\u2015\u2212\ufe63\uff0d"  # hyphen, dashes, minus sign, full-width hyphen
    ".\uff0e\u00b7\u30fb"  # dots
    "()\uff08\uff09\\[\\]\u3010\u3011"  # brackets
)
_SEP = f"[{_SEPARATORS}]{{0,2}}"
_X = "[0-9\uff10-\uff19Xx\uff38\uff58]"  # the ID's check character: a digit or X
_ALNUM = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"


def _digits(first: str, count: int, last: str = _D) -> str:
    """`count` characters of a number, the first and last from their own classes, separators allowed between."""
    return first + f"(?:{_SEP}{_D})" * (count - 2) + _SEP + last


_CODE = "(?:[+\uff0b]|[0\uff10]{2})?[8\uff18][6\uff16]"  # the country code: +86 / 0086 / 86
# Mainland mobile numbers, optionally with +86 / 86 / 0086 (in brackets too), not glued to other digits.
PHONE_RE = re.compile(
    rf"(?<!{_D})(?:(?:[(\uff08]{_CODE}[)\uff09]|{_CODE}){_SEP})?"
    rf"([1\uff11]{_SEP}{_digits('[3-9\uff13-\uff19]', 10)})(?!{_D})"
)
# 18-character resident ID (GB 11643) and the legacy 15-digit form, not glued to letters or digits (a
# longer code that merely contains 18 digits is not an ID).
ID_RE = re.compile(
    rf"(?<![{_ALNUM}])({_digits(_D, 18, _X)})(?![{_ALNUM}])|(?<!{_D})({_digits('[1-9\uff11-\uff19]', 15)})(?!{_D})"
)
_KEPT = re.compile(_X)


def mask_phone(value: str | None) -> str:
    """138****1234. Short or odd values keep at most their last 4 characters."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", normalize_phone(value))
    if len(digits) >= 11:
        digits = digits[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


def mask_id_number(value: str | None) -> str:
    """110105********0123 for 18 characters; first 6 and last 4 kept in general."""
    if not value:
        return ""
    value = normalize_id_number(value)
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_name(value: str | None) -> str:
    """张* / 欧阳** for Chinese names (surname kept); Latin names keep the first letter."""
    if not value:
        return ""
    value = value.strip()
    if len(value) <= 1:
        return value
    keep = 2 if len(value) >= 4 else 1  # 复姓 such as 欧阳 in four-character names
    return value[:keep] + "*" * (len(value) - keep)


def scrub(text: str) -> str:
    """Mask every phone or ID-card number inside free text (log lines, notes), in whatever spelling.

    The kept digits are written as they were typed (ASCII stays ASCII); separators and a +86 prefix go."""
    text = ID_RE.sub(_mask_id_match, text)
    return PHONE_RE.sub(_mask_phone_match, text)


def _typed(match: re.Match[str]) -> list[str]:
    """The number's own characters as typed (digits and X, either width), without separators or prefix."""
    number = next(group for group in match.groups() if group is not None)
    return _KEPT.findall(number)


def _mask_phone_match(match: re.Match[str]) -> str:
    typed = _typed(match)
    return "".join(typed[:3]) + "****" + "".join(typed[-4:])


def _mask_id_match(match: re.Match[str]) -> str:
    typed = _typed(match)
    return "".join(typed[:6]) + "*" * (len(typed) - 10) + "".join(typed[-4:])


class MaskingLogFilter(logging.Filter):
    """Rewrites each record so that no handler ever sees a full phone or ID number."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the log line
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, scrub(value))
        redact_record(record)  # keys, credentials and API query strings (govservice/redaction.py)
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}
