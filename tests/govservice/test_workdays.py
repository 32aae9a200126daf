from __future__ import annotations

from datetime import date, timedelta

import pytest

from govservice.models import WorkCalendarDay, WorkCalendarYear
from govservice.workdays import WorkCalendar, add_working_days, count_working_days, is_working_day

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
