"""A ticket's row from its events: the one rule that orders events by their own time.

Pure (no database): `ticket_derive` takes the ticket's events in any order, sorts them by the time
each happened, walks `QueueEvent.TRANSITIONS` and says which events do not fit (out of order) and
what the ticket's row holds. An event that does not fit is kept and flagged, and takes no part in
the row; a late event that fills a gap can make an earlier-flagged one fit again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .models import QueueEvent, QueueTicket

# Events at the same instant: the lifecycle's own order.
KIND_RANK = {"taken": 0, "called": 1, "started": 2, "transferred": 3, "ended": 4, "no_show": 4}
STATUS_AFTER = {
    "": QueueTicket.Status.WAITING,
    "taken": QueueTicket.Status.WAITING,
    "transferred": QueueTicket.Status.WAITING,
    "called": QueueTicket.Status.CALLED,
    "started": QueueTicket.Status.SERVING,
    "ended": QueueTicket.Status.DONE,
    "no_show": QueueTicket.Status.NO_SHOW,
}


class EventLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def window_id(self) -> int | None: ...
    @property
    def to_window_id(self) -> int | None: ...
    @property
    def staff_id(self) -> int | None: ...
    @property
    def matter(self) -> str: ...


@dataclass
class Derived:
    status: str = QueueTicket.Status.WAITING
    matter: str = ""
    taken_at: datetime | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    window_id: int | None = None
    staff_id: int | None = None
    no_show: bool = False
    transferred: bool = False
    out_of_order: list[int] = field(default_factory=list)  # positions in the list given

    @property
    def wait_seconds(self) -> int | None:
        if self.taken_at is None or self.called_at is None:
            return None
        return max(0, int((self.called_at - self.taken_at).total_seconds()))

    @property
    def service_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.started_at).total_seconds()))


def ticket_derive(events: Sequence[EventLike]) -> Derived:
    row = Derived()
    state = ""
    order = sorted(range(len(events)), key=lambda i: (events[i].occurred_at, KIND_RANK[events[i].kind], i))
    for i in order:
        event = events[i]
        if event.kind not in QueueEvent.TRANSITIONS[state]:
            row.out_of_order.append(i)
            continue
        state = event.kind
        at = event.occurred_at
        if event.kind == QueueEvent.Kind.TAKEN:
            row.taken_at = at
            row.matter = event.matter
        elif event.kind == QueueEvent.Kind.CALLED:
            row.called_at = row.called_at or at
        elif event.kind == QueueEvent.Kind.STARTED:
            row.started_at = row.started_at or at
        elif event.kind == QueueEvent.Kind.ENDED:
            row.ended_at = at
        elif event.kind == QueueEvent.Kind.NO_SHOW:
            row.no_show = True
        elif event.kind == QueueEvent.Kind.TRANSFERRED:
            row.transferred = True
            row.window_id = event.to_window_id
            row.staff_id = None
            continue
        if event.window_id is not None:
            row.window_id = event.window_id
        if event.staff_id is not None:
            row.staff_id = event.staff_id
    row.status = STATUS_AFTER[state]
    row.out_of_order.sort()
    return row
