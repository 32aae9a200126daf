"""What an SMS is about: a hook registry through which higher apps name the record behind a key.

An outbox key starts with its subject ("case:42:…", "complaint-received:7"); notifications
knows no cases or complaints (it sits below them), so each app that queues messages registers,
in its `AppConfig.ready()`, a resolver for its key prefixes. The admin's outbox shows the link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    label: str  # e.g. "办件 GS2026000123"
    url: str  # the record's page in the application (it checks its own access)


Resolver = Callable[[str], Subject | None]

_resolvers: dict[str, Resolver] = {}


def register_subject(prefix: str, resolver: Resolver) -> None:
    """`resolver(key)` gets the whole key of a message whose key starts with `prefix`."""
    _resolvers[prefix] = resolver


def subject_of(key: str) -> Subject | None:
    """The record behind a message, or None (a key no app claims, or a record since deleted)."""
    for prefix, resolver in _resolvers.items():
        if key.startswith(prefix):
            return resolver(key)
    return None


def id_after(key: str, prefix: str) -> int | None:
    """The number right after `prefix` in a key ("case:42:status:x", "case:" → 42), or None."""
    head = key[len(prefix) :].split(":", 1)[0]
    return int(head) if head.isdigit() else None
