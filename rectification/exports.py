"""The ledger as an Excel export made in the background (govservice/exports).

The file is the ledger's round-trip layout (a merged title row, then the customary headers, one row per
problem with its number last): an exported file can be edited and imported again (roundtrip.py), and
an unchanged one imports with 0 changes. The rows are the list page's, with its filters and a figure's
`metric`, streamed in chunks with their measures and latest updates. Problem texts are stored masked
(numbers in citizens' words never reach the ledger in clear) and the ledger holds no phone or ID
column, so there is nothing to reveal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access, metrics
from govservice.exports import ExportKind, Rows, register
from govservice.selectors import centre_by_code
from staff.models import User

from . import documents
from .selectors import LedgerFilters, problem_list_with_measures_for

# Problems per query: each chunk is one query for the problems and one per prefetch (measures with
# their updates, events), so memory holds one chunk, not the ledger.
CHUNK = 500


def _rows(user: User, params: Mapping[str, str], reveal: bool) -> Rows:
    filters = LedgerFilters.from_query(params)
    problems, _metric = metrics.rows_for_list(params, problem_list_with_measures_for(user=user, filters=filters), user)

    def stream() -> Iterator[Sequence[Any]]:
        for number, problem in enumerate(problems.iterator(chunk_size=CHUNK), 1):
            yield documents.ledger_row(number, problem)

    return Rows(
        headers=documents.ledger_headers(),
        count=problems.count(),
        rows=stream(),
        title=documents.ledger_title(user=user, centre_code=filters.centre),
        sheet_name=documents.LEDGER_SHEET,
        widths=documents.LEDGER_WIDTHS,
        wrap=True,
        landscape=True,
    )


def _title(params: Mapping[str, str]) -> str:
    centre = centre_by_code(params["centre"]) if params.get("centre") else None
    return _("整改台账") + (f" · {centre.name}" if centre else "")


def register_exports() -> None:
    register(
        ExportKind(
            name="ledger",
            label=gettext_lazy("整改台账"),
            allowed=access.can_work_on_feedback,
            rows=_rows,
            title=_title,
        )
    )
