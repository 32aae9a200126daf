"""Working-day arithmetic holds for any start, any count and any calendar a centre could enter.

The calendars are built here: the centre's overrides (holidays and make-up working days near the start)
and the years it marked complete, over dates before, inside and after the years `chinesecalendar`
knows. `WorkCalendar` is the arithmetic itself; the module functions are checked against it with the
same calendar placed in the cache they read, which is cleared before and after each example.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from hypothesis import given, settings
from hypothesis import strategies as st

from govservice import workdays
from govservice.workdays import WorkCalendar

# 2003 is before the package's first year, 2027–2029 after its last: both fall back to weekends.
FIRST, LAST = date(2003, 1, 1), date(2029, 12, 31)
YEARS = range(FIRST.year, LAST.year + 1)
MAX_DAYS = 40  # a generous deadline; the arithmetic is day by day, so larger counts only cost time
EXAMPLES = settings(max_examples=150, deadline=None)  # deadline off: the first call builds the package's tables


@dataclass(frozen=True)
class Scenario:
    calendar: WorkCalendar
    start: date


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = draw(st.dates(min_value=FIRST, max_value=LAST))
    # Overrides near the start, where the walk goes: a week of closures, a make-up Saturday, both.
    offsets = draw(st.dictionaries(st.integers(-90, 90), st.booleans(), max_size=20))
    overrides = {start + timedelta(days=offset): is_workday for offset, is_workday in offsets.items()}
    complete_years = draw(st.frozensets(st.sampled_from(YEARS), max_size=4))
    return Scenario(WorkCalendar(overrides, complete_years), start)


days = st.integers(-MAX_DAYS, MAX_DAYS)
positive_days = st.integers(1, MAX_DAYS)


def latest_working_day_on_or_before(calendar: WorkCalendar, day: date) -> date:
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


@EXAMPLES
@given(scenarios(), positive_days)
def test_adding_then_subtracting_returns_the_latest_working_day_not_after_the_start(s: Scenario, n: int) -> None:
    there = s.calendar.add_working_days(s.start, n).date
    back = s.calendar.add_working_days(there, -n).date
    assert s.calendar.is_working_day(back)
    assert back <= s.start
    # Precisely: the start itself when it is a working day, else the working day before it.
    assert back == latest_working_day_on_or_before(s.calendar, s.start)


@EXAMPLES
@given(scenarios())
def test_adding_zero_working_days_is_the_start_itself(s: Scenario) -> None:
    assert s.calendar.add_working_days(s.start, 0).date == s.start


@EXAMPLES
@given(scenarios(), days.filter(lambda n: n != 0))
def test_adding_a_nonzero_count_always_lands_on_a_working_day(s: Scenario, n: int) -> None:
    result = s.calendar.add_working_days(s.start, n).date
    assert s.calendar.is_working_day(result)
    assert (result > s.start) if n > 0 else (result < s.start)


@EXAMPLES
@given(scenarios(), days, days)
def test_adding_is_strictly_increasing_in_the_count(s: Scenario, a: int, b: int) -> None:
    low, high = sorted((a, b))
    low_date = s.calendar.add_working_days(s.start, low).date
    high_date = s.calendar.add_working_days(s.start, high).date
    if low == high:
        assert low_date == high_date
    else:
        assert low_date < high_date


@EXAMPLES
@given(scenarios(), st.integers(0, 30), days)
def test_adding_is_monotonic_in_the_start_date(s: Scenario, later_by: int, n: int) -> None:
    later = s.start + timedelta(days=later_by)
    assert s.calendar.add_working_days(s.start, n).date <= s.calendar.add_working_days(later, n).date


@EXAMPLES
@given(scenarios(), st.integers(0, MAX_DAYS))
def test_counting_up_to_the_result_of_adding_gives_the_count_back(s: Scenario, n: int) -> None:
    end = s.calendar.add_working_days(s.start, n).date
    assert s.calendar.count_working_days(s.start, end).days == n
    assert s.calendar.count_working_days(end, s.start).days == -n


@EXAMPLES
@given(scenarios(), st.integers(0, 60))
def test_the_count_to_any_date_is_the_most_working_days_that_fit_before_it(s: Scenario, span: int) -> None:
    end = s.start + timedelta(days=span)
    k = s.calendar.count_working_days(s.start, end).days
    assert k >= 0
    assert s.calendar.add_working_days(s.start, k).date <= end < s.calendar.add_working_days(s.start, k + 1).date


@contextmanager
def cached_calendar(calendar: WorkCalendar) -> Iterator[None]:
    """Put `calendar` where `WorkCalendar.load()` finds it, so the module functions read no table."""
    cache.delete(workdays.CACHE_KEY)
    workdays._PROCESS_COPIES.clear_this_process()  # this process's own copy (govservice/process_copy.py) too
    cache.set(workdays.CACHE_KEY, (calendar.overrides, calendar.complete_years))
    try:
        yield
    finally:
        cache.delete(workdays.CACHE_KEY)


@EXAMPLES
@given(scenarios(), days)
def test_the_module_functions_answer_as_the_calendar_they_load(s: Scenario, n: int) -> None:
    with cached_calendar(s.calendar):
        added = workdays.add_working_days(s.start, n)
        assert added == s.calendar.add_working_days(s.start, n)
        assert workdays.count_working_days(s.start, added.date) == s.calendar.count_working_days(s.start, added.date)
        assert workdays.is_working_day(added.date) is s.calendar.is_working_day(added.date)
