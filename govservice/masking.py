"""Masking of personal data (phone, ID-card number, name).

One helper for every output: screens, API responses, exports and log lines.
Full values leave the system only through a permission-checked, logged path.
"""

from __future__ import annotations

import logging
import re

# Mainland mobile numbers, optionally with +86 / 86, not glued to other digits.
PHONE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
# 18-character resident ID (GB 11643) and the legacy 15-digit form.
ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])|(?<!\d)(\d{6})(\d{5})(\d{4})(?!\d)")


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
    """Mask every phone or ID-card number inside free text (log lines, notes)."""
    text = ID_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


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
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}
