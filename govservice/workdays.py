"""Working days (工作日) on China's official calendar, with adjusted weekends (调休).

Every deadline in the product is computed here. Sources, first match wins:
1. the admin-editable table `govservice.WorkCalendarDay` (holidays and make-up
   working days the centre enters itself, e.g. next year's calendar as soon as
   the State Council publishes it);
2. the `chinesecalendar` package (it knows 2004–2026 today);
3. weekends only — and the result is then *provisional*, so the UI can warn,
   unless the centre marked that year's calendar as complete
   (`govservice.WorkCalendarYear`).

Day counting follows the usual rule for 承诺时限: the start day itself is not
counted, so 5 working days from a Friday lands on the next Friday when there is
no holiday in between.

The override table is read once and kept in the Django cache (Redis in
production), so a page that shows a deadline does not read the whole calendar.
Saving or deleting a `WorkCalendarDay` / `WorkCalendarYear` — admin, shell,
service, any door that goes through the model — drops the cached copy at once
and again after commit (signals connected in `GovserviceConfig.ready`). Bulk
writes that bypass model signals (`QuerySet.update`, `bulk_create`) must call
`calendar_changed()`. The cache timeout bounds what no signal can catch: a reader
that read the old rows just before a commit and cached them just after, or an
edit rolled back after its own transaction had read (and cached) it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from chinese_calendar import constants as _cc_constants
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import WorkCalendarDay, WorkCalendarYear
from .process_copy import ProcessCopies
from .replica import use_primary

logger = logging.getLogger(__name__)

_CC_YEARS = frozenset(d.year for d in (*_cc_constants.holidays, *_cc_constants.workdays))
# The package's own rule (`chinese_calendar.is_workday`), applied to its tables directly: the function
# looks for the tables' first and last year on every call (a scan of every holiday, ~25 µs), and a
# deadline is counted day by day. The equivalence over every known day is tested.
_CC_HOLIDAYS = frozenset(_cc_constants.holidays)
_CC_WORKDAYS = frozenset(_cc_constants.workdays)
_CC_FIRST, _CC_LAST = min(_CC_HOLIDAYS).year, max(_CC_HOLIDAYS).year
_CC_RULE_YEARS = frozenset(y for y in _CC_YEARS if _CC_FIRST <= y <= _CC_LAST)  # where the package answers
_MAX_SPAN_DAYS = 366 * 5  # a sane bound: no deadline in this product is five years away
CACHE_KEY = "workdays:calendar:v1"
CACHE_SECONDS = 10 * 60  # a safety net only: every model write invalidates at once
# Each process's copy (govservice/process_copy.py), under the same bound as the shared copy.
_PROCESS_COPIES: ProcessCopies[WorkCalendar] = ProcessCopies("workdays-calendar", seconds=CACHE_SECONDS)


@dataclass(frozen=True)
class WorkdayResult:
    date: date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    days: int
    provisional: bool


class WorkCalendar:
    """A snapshot of the override table; build one per request or task, not per day."""

    def __init__(self, overrides: dict[date, bool], complete_years: frozenset[int]) -> None:
        self.overrides = overrides
        self.complete_years = complete_years

    @classmethod
    def load(cls) -> WorkCalendar:
        """The centre's calendar: this process's copy while the shared token holds (one small GET), else from the
        cache, or read (2 queries) and cached. Treat it as read-only: the copy is shared by this process's requests."""
        return _PROCESS_COPIES.get("calendar", cls.load_shared)

    @classmethod
    def load_shared(cls) -> WorkCalendar:
        """From the shared cache, or read (2 queries) and cached."""
        try:
            cached = cache.get(CACHE_KEY)
        except Exception:  # a cache outage must not stop deadlines from being computed
            logger.warning("work calendar cache unavailable; reading the table", exc_info=True)
            return cls.load_from_database()
        if cached is not None:
            overrides, complete = cached
            return cls(overrides, complete)
        # Read on the primary even inside `use_replica()`: a lagging replica would put the old calendar back in
        # the shared cache right after a change dropped it, for CACHE_SECONDS.
        with use_primary():
            calendar = cls.load_from_database()
        try:
            cache.set(CACHE_KEY, (calendar.overrides, calendar.complete_years), CACHE_SECONDS)
        except Exception:
            logger.warning("work calendar cache unavailable; not cached", exc_info=True)
        return calendar

    @classmethod
    def load_from_database(cls) -> WorkCalendar:
        overrides = dict(WorkCalendarDay.objects.values_list("date", "is_workday"))
        complete = frozenset(WorkCalendarYear.objects.filter(is_complete=True).values_list("year", flat=True))
        return cls(overrides, complete)

    def is_known_year(self, year: int) -> bool:
        return year in self.complete_years or year in _CC_YEARS

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in _CC_RULE_YEARS:
            return day in _CC_WORKDAYS or (day.weekday() < 5 and day not in _CC_HOLIDAYS)
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> WorkdayResult:
        """The date `days` working days after `start` (negative: before). 0 → `start`."""
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        current = start
        provisional = not self.is_known_year(start.year)
        guard = 0
        while remaining:
            current += timedelta(days=step)
            guard += 1
            if guard > _MAX_SPAN_DAYS:
                raise ValueError(f"{days} working days from {start} is out of range")
            if not self.is_known_year(current.year):
                provisional = True
            if self.is_working_day(current):
                remaining -= 1
        return WorkdayResult(current, provisional)

    def count_working_days(self, start: date, end: date) -> WorkdayCount:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            count = self.count_working_days(end, start)
            return WorkdayCount(-count.days, count.provisional)
        if (end - start).days > _MAX_SPAN_DAYS:
            raise ValueError(f"span {start}..{end} is out of range")
        days = 0
        provisional = False
        current = start
        while current < end:
            current += timedelta(days=1)
            if not self.is_known_year(current.year):
                provisional = True
            if self.is_working_day(current):
                days += 1
        return WorkdayCount(days, provisional)

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def _forget() -> None:
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        logger.warning("work calendar cache unavailable; could not invalidate", exc_info=True)
    _PROCESS_COPIES.forget_now("calendar")  # every process's own copy too


def calendar_changed(*, using: str | None = None, **_signal: object) -> None:
    """Drop the cached calendar now (this transaction sees its own writes) and again after
    commit (another process may have cached the old rows meanwhile). A signal receiver too.
    Every process's own copy goes with it (its token is replaced, now and after commit)."""
    _forget()
    transaction.on_commit(_forget, using=using)


def connect_invalidation() -> None:
    for model in (WorkCalendarDay, WorkCalendarYear):
        for signal in (post_save, post_delete):
            uid = f"workdays-{signal is post_save}-{model._meta.label}"
            signal.connect(calendar_changed, sender=model, dispatch_uid=uid)


def is_working_day(day: date) -> bool:
    return WorkCalendar.load().is_working_day(day)


def add_working_days(start: date, days: int) -> WorkdayResult:
    return WorkCalendar.load().add_working_days(start, days)


def count_working_days(start: date, end: date) -> WorkdayCount:
    return WorkCalendar.load().count_working_days(start, end)


def is_provisional(day: date) -> bool:
    """True when `day`'s year is known to neither the package nor the centre's table."""
    return not WorkCalendar.load().is_known_year(day.year)


def work_calendar_overrides(*, after: date, until: date) -> dict[date, bool]:
    """The calendar's days off and extra working days in (after, until], by date: one query."""
    nearby = WorkCalendarDay.objects.filter(date__gt=after, date__lte=until)
    return dict(nearby.values_list("date", "is_workday"))
