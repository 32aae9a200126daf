"""The counter's case search: one box that finds a returning citizen's case by what they bring.

`/cases/?q=` takes a tracking number (or its serial, `000123`, or another part of it), the applicant's name, a full phone or ID number
(any spelling: full-width digits, spaces, dashes, +86 — `govservice.numbers`), or the last four digits
of the phone together with the name (`张三 1234`, `1234张三`).

Full numbers are never compared in clear: they are matched through the keyed lookup hashes the case
stores (`applicant_phone_hash`, `applicant_id_hash`), under every configured lookup key. The last four
digits are a column of their own (`Case.applicant_phone_last4`, written with the phone), indexed with
the centre; they are shown on every masked screen anyway. Every kind reads through an index
(tracking number, hashes, centre + name, centre + last four) but an odd part of a tracking number (a
scan, as before), so a search stays fast at 100 k cases
(`bench/case_search.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from govservice.crypto import lookup_hashes
from govservice.masking import mask_name, mask_phone
from govservice.numbers import normalize_number, normalize_phone
from govservice.selectors import centre_list

from .models import Case

# A full phone (mobile, or a landline with its area code) or identity number, once normalised.
_PHONE = re.compile(r"1[3-9]\d{9}|0\d{9,11}")
_ID_NUMBER = re.compile(r"\d{15}|\d{17}[\dX]|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
# GS-2026-000123: the centre's prefix, the year, the number (cases.services.tracking_number_allocate).
_TRACKING_NO = re.compile(r"[A-Z][A-Z0-9]*-\d{4}-\d{6,}")
# A name with the phone's last four digits, either way round, spaces optional.
_NAME_THEN_LAST4 = re.compile(r"(?P<name>\D+?)\s*(?P<last4>\d{4})")
_LAST4_THEN_NAME = re.compile(r"(?P<last4>\d{4})\s*(?P<name>\D+?)")
_SPACES = re.compile(r"\s+")
_SERIAL = re.compile(r"(?:(?P<year>\d{4})-)?(?P<serial>\d{1,6})")


def _prefixes() -> list[str]:
    """Every centre's tracking-number prefix (a handful of rows; `GS` when a centre has none)."""
    return sorted({prefix or "GS" for prefix in centre_list().values_list("tracking_prefix", flat=True)})


class Kind:
    """What a query was taken for (shown to no one; the tests and the benchmark name them)."""

    EMPTY = "empty"
    NUMBER = "number"  # a full phone or ID number, through the lookup hashes
    TRACKING_NO = "tracking_no"
    TRACKING_SERIAL = "tracking_serial"  # the serial part of a tracking number, through the unique index
    TRACKING_PART = "tracking_part"
    NAME_LAST4 = "name_last4"
    NAME = "name"


@dataclass(frozen=True)
class Query:
    kind: str
    condition: Q


def phone_last4(phone: str | None) -> str:
    """The last four digits of a phone as stored in `Case.applicant_phone_last4` ("" for no phone)."""
    digits = re.sub(r"\D", "", normalize_phone(phone))
    return digits[-4:] if len(digits) >= 4 else ""


def _fold(text: str) -> str:
    """Full-width letters, digits and spaces folded to ASCII, runs of spaces to one, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def parse(q: str) -> Query:
    """The condition one search box text stands for."""
    text = _fold(q)
    if not text:
        return Query(Kind.EMPTY, Q())
    number = normalize_number(text)
    if _PHONE.fullmatch(number) or _ID_NUMBER.fullmatch(number):
        hashes = lookup_hashes(number)
        return Query(Kind.NUMBER, Q(applicant_phone_hash__in=hashes) | Q(applicant_id_hash__in=hashes))
    upper = text.upper().replace(" ", "")
    if _TRACKING_NO.fullmatch(upper):
        return Query(Kind.TRACKING_NO, Q(tracking_no=upper))
    for pattern in (_NAME_THEN_LAST4, _LAST4_THEN_NAME):
        match = pattern.fullmatch(text)
        if match and match["name"].strip() and not any(ch.isdigit() for ch in match["name"]):
            return Query(
                Kind.NAME_LAST4,
                Q(applicant_phone_last4=match["last4"], applicant_name=match["name"].strip()),
            )
    serial = _SERIAL.fullmatch(upper)
    if serial:
        # The serial a citizen reads off the receipt (`123`, `000123`, `2026-000123`): the whole numbers it
        # stands for, this year and the two before, under every centre's prefix — the unique index, no scan.
        this_year = timezone.localdate().year
        years = [int(serial["year"])] if serial["year"] else [this_year, this_year - 1, this_year - 2]
        numbers = [f"{prefix}-{year}-{int(serial['serial']):06d}" for prefix in _prefixes() for year in years]
        return Query(Kind.TRACKING_SERIAL, Q(tracking_no__in=numbers))
    if any(ch.isdigit() for ch in text):
        # Any other part of a tracking number: a scan of the centre's numbers, as the list always did.
        return Query(Kind.TRACKING_PART, Q(tracking_no__icontains=upper))
    return Query(Kind.NAME, Q(applicant_name=text))


def case_search(queryset: QuerySet[Case], q: str) -> QuerySet[Case]:
    """`queryset` (already scoped to the user) narrowed to the cases `q` finds."""
    query = parse(q)
    return queryset if query.kind == Kind.EMPTY else queryset.filter(query.condition)


def masked_applicant(case: Case) -> str:
    """The list's applicant column: 王* · 138****1234."""
    name, phone = mask_name(case.applicant_name), mask_phone(case.applicant_phone)
    return f"{name} · {phone}" if phone else name
