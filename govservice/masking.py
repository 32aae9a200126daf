"""Masking of personal data (phone, ID-card number, name).

One helper for every output: screens, API responses, exports and log lines.
Full values leave the system only through a permission-checked, logged path.
"""

from __future__ import annotations

import logging
import re

from govservice.redaction import redact_record

# A digit as people type it: ASCII or full-width (１３８…, what a Chinese input method gives in full-width
# mode). Separators between groups: a space or a hyphen, either width. A number spelled this way is still
# the number, so it is masked like the ASCII one.
_D = "[0-9\uff10-\uff19]"
_SEP = "[- \u3000\uff0d]?"
_X = "[0-9\uff10-\uff19Xx\uff38\uff58]"  # the ID's check character: a digit or X
_ALNUM = "0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
# Mainland mobile numbers, optionally with +86 / 86 / 0086, not glued to other digits.
PHONE_RE = re.compile(
    rf"(?<!{_D})(?:(?:[+\uff0b]|[0\uff10]{{2}})?[8\uff18][6\uff16]{_SEP})?"
    rf"([1\uff11][3-9\uff13-\uff19]{_D}){_SEP}({_D}{{4}}){_SEP}({_D}{{4}})(?!{_D})"
)
# 18-character resident ID (GB 11643, groups 6-8-4 as often written) and the legacy 15-digit form,
# not glued to letters or digits (a longer code that merely contains 18 digits is not an ID).
ID_RE = re.compile(
    rf"(?<![{_ALNUM}])({_D}{{6}}){_SEP}({_D}{{8}}){_SEP}({_D}{{3}}{_X})(?![{_ALNUM}])"
    rf"|(?<!{_D})([1-9\uff11-\uff19]{_D}{{5}}){_SEP}({_D}{{5}}){_SEP}({_D}{{4}})(?!{_D})"
)


def mask_phone(value: str | None) -> str:
    """138****1234. Short or odd values keep at most their last 4 characters."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
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
    value = value.strip()
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
    return PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def _mask_id_match(match: re.Match[str]) -> str:
    groups = [group for group in match.groups() if group is not None]
    return mask_id_number("".join(groups))


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
