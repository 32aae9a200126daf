"""Months whose figures are final: a registry the apps that lock a month fill (development: service-star scores).

A lower app (intake, taking dated records from channels) must not back-date a record into a locked month, but
must not import the app that locks months either: that app registers a check here in its AppConfig.ready().
With nothing registered no month is locked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

# check(centre_id, first day of the month) → True when that centre's month is locked.
MonthLockCheck = Callable[[int, date], bool]
_checks: dict[str, MonthLockCheck] = {}


def register_month_lock(name: str, check: MonthLockCheck) -> None:
    """Register (or replace: ready() may run twice in tests) the check called `name`."""
    _checks[name] = check


def month_is_locked(*, centre_id: int, day: date) -> bool:
    month = day.replace(day=1)
    return any(check(centre_id, month) for check in _checks.values())
