"""Stored deadlines recomputed when a year of the working calendar is saved.

govservice is the lowest app: it cannot reach the models that keep deadlines counted in working
days (cases, complaints, the ledger, scoring follow-ups). Each of those apps registers one
recompute per kind of deadline in its `AppConfig.ready()`; `calendar_year_save` calls every one
of them inside its own transaction, with the calendar as it was before the save and as it is
after. A recompute calls its app's own services, writes a history row (with the person who saved
the calendar) on every record whose deadline moved, tells the record's owners after commit, and
returns how many deadlines moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from .workdays import WorkCalendar, WorkdayResult

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class CalendarChange:
    """News for a recompute: which year was saved, by whom, and the calendar before and after."""

    year: int
    actor: Any  # staff.User; govservice cannot name the type
    before: WorkCalendar
    after: WorkCalendar
    today: date

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    def may_move(self, deadline: date | None, *, provisional: bool = False) -> bool:
        """A deadline the saved year can move: counted on an unpublished year, or on or after 1 January
        of the saved year (a count that starts before the year and ends in or after it crosses it)."""
        return deadline is not None and (provisional or deadline >= self.first_day)

    def recount(self, start: date, deadline: date) -> WorkdayResult:
        """`deadline` was `start` + N working days on the old calendar: the same N on the new one.

        N is read back from the old calendar, so a deadline keeps the number of working days it was
        given (a policy edited since does not change it)."""
        days = self.before.count_working_days(start, deadline).days
        return self.after.add_working_days(start, max(days, 0))


# A recompute returns how many deadlines it moved.
Recompute = Callable[[CalendarChange], int]


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: str | StrPromise
    recompute: Recompute


_kinds: dict[str, DeadlineKind] = {}


def register_deadline_kind(code: str, label: str | StrPromise, recompute: Recompute) -> None:
    """Called from an app's `AppConfig.ready()`; registering a code again replaces it (tests, reloads)."""
    _kinds[code] = DeadlineKind(code=code, label=label, recompute=recompute)


def deadline_kinds() -> list[DeadlineKind]:
    return list(_kinds.values())


def deadline_kind_label(code: str) -> str:
    kind = _kinds.get(code)
    return str(kind.label) if kind else code


def recompute_deadlines(change: CalendarChange) -> dict[str, int]:
    """Every registered kind's recompute, in registration order: {kind code: deadlines moved}."""
    return {kind.code: kind.recompute(change) for kind in deadline_kinds()}
