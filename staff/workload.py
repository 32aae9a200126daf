"""A person's open work, contributed by the apps above staff, and the hook to hand it to someone else.

staff sits low in the app order and may not import cases, complaints, the ledger or development;
yet a leader who marks someone absent or deactivates them must see (and hand over) everything that
person still owns. So each higher app registers a `WorkProvider` in its `AppConfig.ready()`:

- `open_work(person)` lists the person's open items of that kind (one or two queries);
- `reassign(item_id=..., from_user=..., to_user=..., actor=..., reason=...)` moves one item to its new
  owner through the app's own service, which writes the item's own history line. It raises a
  `govservice.exceptions.DomainError` (ValidationFailed, Conflict) when this item cannot go to that
  person; the whole batch is then rolled back.

staff.services.work_reassign calls the providers, writes one `StaffEvent` per item and tells the new
owner (the `work_reassigned` signal, received by notifications).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.dispatch import Signal

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import User


@dataclass(frozen=True)
class WorkItem:
    """One open item a person owns: a case, a hand-over offer, a complaint, a measure, a mentee..."""

    kind: str
    id: int
    label: str
    url: str = ""
    detail: str = ""


class Reassign(Protocol):
    def __call__(self, *, item_id: int, from_user: User, to_user: User, actor: User, reason: str) -> str:
        """Move the item; return its label for the history."""
        ...


@dataclass(frozen=True)
class WorkProvider:
    kind: str  # ASCII, unique: "case", "handover", "complaint", ...
    title: StrOrPromise  # shown as the group's heading
    open_work: Callable[[User], list[WorkItem]]
    reassign: Reassign
    order: int = 100


_providers: dict[str, WorkProvider] = {}

# Sent after commit by staff.services.work_reassign: kwargs person, to_user, actor, reason, labels
# (list[str], one per item). notifications tells the new owner.
work_reassigned = Signal()


def register(provider: WorkProvider) -> None:
    """Called from an AppConfig.ready(); registering a kind again replaces it (autoreload, tests)."""
    _providers[provider.kind] = provider


def providers() -> list[WorkProvider]:
    return sorted(_providers.values(), key=lambda provider: (provider.order, provider.kind))


def provider(kind: str) -> WorkProvider | None:
    return _providers.get(kind)


def open_work_of(person: User) -> list[tuple[WorkProvider, list[WorkItem]]]:
    """Every provider that has open work of this person, with the items (groups without items left out)."""
    groups = []
    for each in providers():
        items = each.open_work(person)
        if items:
            groups.append((each, items))
    return groups


def has_open_work(person: User) -> bool:
    return any(each.open_work(person) for each in providers())
