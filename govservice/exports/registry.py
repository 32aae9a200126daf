"""What can be exported: each app registers its exports in AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Rows:
    """An export's content: the column headers, how many rows (for the progress bar) and the rows, streamed."""

    headers: Sequence[str]
    count: int
    rows: Iterator[Sequence[Any]]
    # A title row above the headers, merged across them (the customary ledger's layout), or none.
    title: str = ""
    # The sheet's name (default: the export's label).
    sheet_name: str = ""
    # Column widths in characters, first column first (none: the spreadsheet's default).
    widths: Sequence[float] = ()
    # Long text wraps inside its cell and rows align to the top (multi-line cells stay readable).
    wrap: bool = False
    # Printed landscape, the header row repeated on every page.
    landscape: bool = False


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str | Promise
    # Who may export it at all (their own scope only: `rows` narrows to what the user sees).
    allowed: Callable[[Any], bool]
    # The content for a user and the page's filters; `reveal` asks for unmasked phone and ID numbers.
    rows: Callable[[Any, Mapping[str, str], bool], Rows]
    # Who may ask for full personal data (None: nobody; the export is then always masked).
    may_reveal: Callable[[Any], bool] | None = None
    # The title of the file, from the filters (shown in the list and the file name).
    title: Callable[[Mapping[str, str]], str] | None = None


_KINDS: dict[str, ExportKind] = {}


def register(kind: ExportKind) -> ExportKind:
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> ExportKind | None:
    return _KINDS.get(name)


def kinds_for(user: Any) -> list[ExportKind]:
    return [kind for kind in _KINDS.values() if kind.allowed(user)]
