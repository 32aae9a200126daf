"""Hook registries the ledger defines and higher apps fill (complaints registers in its AppConfig.ready()).

The ledger counts and watches voices about a problem (complaints, bad reviews) that live in
apps above it; it must not import them. Those apps register providers here instead. With no
provider registered a counter is zero and nothing counts as a new voice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db.models import Expression, Subquery, Value


class ProblemCounter(Protocol):
    """An integer expression per problem row: a correlated subquery on `OuterRef("pk")` (NULL = none)."""

    def __call__(self) -> Subquery: ...


@dataclass(frozen=True)
class Voice:
    """A citizen's voice (a complaint, a bad review) as the ledger's recurrence check sees it.

    `ref` names it for people (a complaint's tracking number); `text` is its scrubbed content, used only
    in memory to measure similarity with a problem, never stored by the ledger.
    """

    kind: str  # "complaint" | "bad_review"
    ref: str
    at: datetime
    category: str = ""
    window_id: int | None = None
    matter_id: int | None = None
    staff_id: int | None = None
    text: str = ""


# The voices a centre heard after a moment: (centre_id, since) → voices, oldest first.
NewVoiceProvider = Callable[[int, datetime], Iterable[Voice]]
# The voices linked to problems (the complaints that raised them): problem ids → {problem id: voices}.
LinkedVoiceProvider = Callable[[list[int]], dict[int, list[Voice]]]

# Annotation name on the ledger's problems (e.g. "complaint_count") → its provider.
_problem_counters: dict[str, ProblemCounter] = {}
# Asked in registration order (complaints before bad reviews).
_new_voice_providers: dict[str, NewVoiceProvider] = {}
_linked_voice_providers: dict[str, LinkedVoiceProvider] = {}


def register_problem_counter(name: str, provider: ProblemCounter) -> None:
    """Register (or replace: ready() may run twice in tests) the counter annotated as `name`."""
    _problem_counters[name] = provider


def register_new_voice_provider(name: str, provider: NewVoiceProvider) -> None:
    """Register (or replace) a source of the voices a centre heard after a moment."""
    _new_voice_providers[name] = provider


def register_linked_voice_provider(name: str, provider: LinkedVoiceProvider) -> None:
    """Register (or replace) a source of the voices linked to problems (their matters and staff)."""
    _linked_voice_providers[name] = provider


def problem_counter(name: str) -> Expression | Subquery:
    """The registered counter `name`, or a literal 0 when no app provides it."""
    provider = _problem_counters.get(name)
    return provider() if provider is not None else Value(0)


def voices_since(centre_id: int, since: datetime) -> list[Voice]:
    """Every registered provider's voices of the centre after `since`, oldest first (stable order)."""
    voices = [voice for provider in _new_voice_providers.values() for voice in provider(centre_id, since)]
    return sorted(voices, key=lambda v: (v.at, v.kind, v.ref))


def linked_voices(problem_ids: list[int]) -> dict[int, list[Voice]]:
    """The voices linked to each problem, from every registered provider."""
    out: dict[int, list[Voice]] = {}
    for provider in _linked_voice_providers.values():
        for problem_id, voices in provider(problem_ids).items():
            out.setdefault(problem_id, []).extend(voices)
    return out
