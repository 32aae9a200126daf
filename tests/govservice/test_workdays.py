from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache

from govservice.models import WorkCalendarDay, WorkCalendarYear
from govservice.workdays import (
    CACHE_KEY,
    WorkCalendar,
    add_working_days,
    calendar_changed,
    connect_invalidation,
    count_working_days,
    is_provisional,
    is_working_day,
    work_calendar_overrides,
)
from tests.factories.staff import CentreFactory

pytestmark = pytest.mark.django_db


def test_five_working_days_from_friday_before_national_day_2025_is_october_10():
    # Sun 2025-09-28 is a make-up working day; 1–8 October are holidays.
    result = add_working_days(date(2025, 9, 26), 5)
    assert result.date == date(2025, 10, 10)
    assert result.provisional is False


def test_adjusted_working_sunday_is_a_working_day_and_holiday_monday_is_not():
    assert is_working_day(date(2025, 9, 28)) is True
    assert is_working_day(date(2025, 10, 6)) is False
    assert is_working_day(date(2025, 9, 27)) is False


def test_deadline_into_an_unknown_year_is_computed_and_flagged_provisional():
    # 2026-12-31 is a Thursday; the package knows nothing of 2027.
    result = add_working_days(date(2026, 12, 30), 5)
    assert result.date == date(2027, 1, 6)  # weekends only: Thu 31, Fri 1, Mon 4, Tue 5, Wed 6
    assert result.provisional is True


def test_centre_entered_holiday_overrides_and_a_complete_year_is_not_provisional():
    WorkCalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    WorkCalendarYear.objects.create(year=2027, is_complete=True)
    result = add_working_days(date(2026, 12, 30), 5)
    assert result.date == date(2027, 1, 7)
    assert result.provisional is False


def test_override_beats_the_package_for_a_known_year():
    WorkCalendarDay.objects.create(date=date(2025, 9, 29), is_workday=False, name="临时停电闭厅")
    assert add_working_days(date(2025, 9, 26), 5).date == date(2025, 10, 11)  # Sat 10-11 is a make-up day


def test_count_working_days_between_dates_excludes_the_start_day():
    assert count_working_days(date(2025, 9, 26), date(2025, 10, 10)).days == 5
    assert count_working_days(date(2025, 10, 10), date(2025, 9, 26)).days == -5
    assert count_working_days(date(2025, 9, 26), date(2025, 9, 26)).days == 0


def test_count_into_unknown_year_is_provisional():
    assert count_working_days(date(2026, 12, 28), date(2027, 1, 8)).provisional is True


def test_negative_days_walk_backwards_over_holidays():
    assert add_working_days(date(2025, 10, 9), -1).date == date(2025, 9, 30)


def test_next_working_day_skips_the_golden_week():
    assert WorkCalendar.load().next_working_day(date(2025, 10, 1)) == date(2025, 10, 9)


def test_every_day_the_package_knows_is_a_working_day_exactly_when_the_package_says_so():
    import chinese_calendar
    from chinese_calendar import constants

    calendar = WorkCalendar({}, frozenset())  # no centre overrides: the package's answer, or weekends
    day, last = date(min(constants.holidays).year - 1, 1, 1), date(max(constants.holidays).year + 1, 12, 31)
    checked = 0
    while day <= last:
        try:
            expected = chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package does not cover
            expected = day.weekday() < 5
        assert calendar.is_working_day(day) is expected, day
        day += timedelta(days=1)
        checked += 1
    assert checked > 365 * 20


def test_next_working_day_is_the_day_itself_or_the_very_next_working_one():
    calendar = WorkCalendar.load()
    assert calendar.next_working_day(date(2025, 9, 26)) == date(2025, 9, 26)  # a Friday
    assert calendar.next_working_day(date(2025, 9, 27)) == date(2025, 9, 28)  # Saturday → the make-up Sunday


def test_a_deadline_from_an_unknown_year_is_provisional_even_for_zero_days():
    assert add_working_days(date(2027, 3, 1), 0).provisional is True
    assert add_working_days(date(2025, 3, 3), 0).provisional is False


def test_a_count_backwards_into_an_unknown_year_is_provisional_too():
    result = count_working_days(date(2027, 1, 8), date(2026, 12, 28))
    assert result.days < 0
    assert result.provisional is True
    assert count_working_days(date(2025, 10, 10), date(2025, 9, 26)).provisional is False


def test_a_year_is_provisional_until_the_package_or_the_centre_knows_it():
    assert is_provisional(date(2025, 6, 1)) is False
    assert is_provisional(date(2027, 6, 1)) is True
    WorkCalendarYear.objects.create(year=2027, is_complete=True)
    assert is_provisional(date(2027, 6, 1)) is False


def test_deadlines_and_spans_beyond_five_years_are_refused():
    with pytest.raises(ValueError, match="out of range"):
        add_working_days(date(2025, 1, 2), 366 * 5)
    with pytest.raises(ValueError, match="out of range"):
        add_working_days(date(2025, 1, 2), -366 * 5)
    with pytest.raises(ValueError, match="out of range"):
        count_working_days(date(2025, 1, 1), date(2025, 1, 1) + timedelta(days=366 * 5 + 1))
    # The bound itself is allowed: exactly five years of days; four years of working days are well inside it.
    assert add_working_days(date(2025, 1, 2), 1000).date.year == 2028
    assert count_working_days(date(2025, 1, 1), date(2025, 1, 1) + timedelta(days=366 * 5)).days > 1000


def test_the_overrides_near_a_date_are_those_after_it_up_to_and_including_the_end():
    for day in (date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 9), date(2027, 1, 10)):
        WorkCalendarDay.objects.create(date=day, is_workday=day.day == 9, name="测试")
    assert work_calendar_overrides(after=date(2027, 1, 1), until=date(2027, 1, 9)) == {
        date(2027, 1, 2): False,
        date(2027, 1, 9): True,
    }


def test_a_calendar_edit_is_seen_at_once_by_the_next_reader(django_capture_on_commit_callbacks):
    assert is_working_day(date(2025, 9, 29)) is True  # read and cached
    with django_capture_on_commit_callbacks() as callbacks:
        WorkCalendarDay.objects.create(date=date(2025, 9, 29), is_workday=False, name="临时停电闭厅")
    assert is_working_day(date(2025, 9, 29)) is False  # dropped now, not only after commit
    # ... and dropped again after commit, when another process may have cached the old rows meanwhile.
    WorkCalendar.load()
    assert cache.get(CACHE_KEY) is not None
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.get(CACHE_KEY) is None


def test_calendar_changed_drops_the_copy_now_and_after_commit(django_capture_on_commit_callbacks):
    WorkCalendar.load()
    with django_capture_on_commit_callbacks() as callbacks:
        calendar_changed()
        assert cache.get(CACHE_KEY) is None
        WorkCalendar.load()
    assert cache.get(CACHE_KEY) is not None
    for callback in callbacks:
        callback()
    assert cache.get(CACHE_KEY) is None


def test_only_calendar_writes_drop_the_cached_calendar():
    connect_invalidation()  # again, as a second AppConfig.ready() would: still one receiver per model and signal
    WorkCalendar.load()
    CentreFactory(code="other")
    assert cache.get(CACHE_KEY) is not None, "an unrelated save dropped the calendar"
    year = WorkCalendarYear.objects.create(year=2030, is_complete=False)
    assert cache.get(CACHE_KEY) is None
    WorkCalendar.load()
    year.delete()
    assert cache.get(CACHE_KEY) is None
    WorkCalendar.load()
    day = WorkCalendarDay.objects.create(date=date(2030, 1, 1), is_workday=False, name="元旦")
    assert cache.get(CACHE_KEY) is None
    WorkCalendar.load()
    day.delete()
    assert cache.get(CACHE_KEY) is None


def test_the_calendar_is_read_once_and_kept_for_the_safety_net_timeout(django_assert_num_queries):
    from unittest import mock

    from govservice.workdays import CACHE_SECONDS

    WorkCalendarDay.objects.create(date=date(2025, 9, 29), is_workday=False, name="临时停电闭厅")
    with mock.patch.object(cache, "set", wraps=cache.set) as cache_set, django_assert_num_queries(2):
        WorkCalendar.load()
    cache_set.assert_called_once_with(CACHE_KEY, mock.ANY, CACHE_SECONDS)
    with django_assert_num_queries(0):
        calendar = WorkCalendar.load()
    assert calendar.is_working_day(date(2025, 9, 29)) is False
