"""Hook registries the ledger defines and higher apps fill (complaints registers in its AppConfig.ready()).

The ledger counts and watches voices about a problem (complaints, bad reviews) that live in
apps above it; it must not import them. Those apps register providers here instead. With no
provider registered a counter is zero and nothing counts as a new voice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from django.db.models import Expression, Subquery, Value

if TYPE_CHECKING:
    from .models import Problem


class ProblemCounter(Protocol):
    """An integer expression per problem row: a correlated subquery on `OuterRef("pk")` (NULL = none)."""

    def __call__(self) -> Subquery: ...


# The voice found after a close-out, as the note of the recurrence flag; "" if none.
NewVoiceProvider = Callable[["Problem"], str]

# Annotation name on the ledger's problems (e.g. "complaint_count") → its provider.
_problem_counters: dict[str, ProblemCounter] = {}
# Asked in registration order; the first note wins (complaints before bad reviews).
_new_voice_providers: dict[str, NewVoiceProvider] = {}


def register_problem_counter(name: str, provider: ProblemCounter) -> None:
    """Register (or replace: ready() may run twice in tests) the counter annotated as `name`."""
    _problem_counters[name] = provider


def register_new_voice_provider(name: str, provider: NewVoiceProvider) -> None:
    """Register (or replace) a source of voices heard after a problem was closed out."""
    _new_voice_providers[name] = provider


def problem_counter(name: str) -> Expression | Subquery:
    """The registered counter `name`, or a literal 0 when no app provides it."""
    provider = _problem_counters.get(name)
    return provider() if provider is not None else Value(0)


def new_voice_after_close_out(problem: Problem) -> str:
    """The first provider's note about a voice heard after `problem` was closed out, or ""."""
    for provider in _new_voice_providers.values():
        note = provider(problem)
        if note:
            return note
    return ""
