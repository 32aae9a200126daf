"""A year of the working calendar entered at once: the State Council notice's holiday ranges and
make-up working days (调休上班), loaded from the `chinesecalendar` package where it knows the year,
previewed as twelve month grids, and saved with every stored deadline it moves recomputed.
"""

from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chinese_calendar import constants as cc
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access
from .calendar_hooks import CalendarChange, recompute_deadlines
from .exceptions import NotPermitted, ValidationFailed
from .models import WorkCalendarChange, WorkCalendarDay, WorkCalendarYear
from .workdays import WorkCalendar, calendar_changed

FIRST_YEAR = 2004  # the package's first year; nothing earlier is ever counted

# The package names holidays in English; the notice (and this screen) names them in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": gettext_lazy("元旦"),
    "Spring Festival": gettext_lazy("春节"),
    "Tomb-sweeping Day": gettext_lazy("清明节"),
    "Labour Day": gettext_lazy("劳动节"),
    "Dragon Boat Festival": gettext_lazy("端午节"),
    "National Day": gettext_lazy("国庆节"),
    "Mid-autumn Festival": gettext_lazy("中秋节"),
    "Anti-Fascist 70th Day": gettext_lazy("中国人民抗日战争胜利70周年纪念日"),
}
PACKAGE_SOURCE = "chinesecalendar"


@dataclass(frozen=True)
class HolidayRange:
    name: str
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class MakeupDay:
    day: date
    name: str


@dataclass
class YearPlan:
    year: int
    holidays: list[HolidayRange] = field(default_factory=list)
    makeup_days: list[MakeupDay] = field(default_factory=list)
    source: str = ""

    def days(self) -> dict[date, tuple[bool, str]]:
        """{date: (is_workday, name)}: what the override table will hold for this year."""
        result: dict[date, tuple[bool, str]] = {}
        for holiday in self.holidays:
            for day in holiday.days():
                result[day] = (False, holiday.name)
        for makeup in self.makeup_days:
            result[makeup.day] = (True, makeup.name)
        return result


# --- where a year comes from -----------------------------------------------------------------


def package_knows(year: int) -> bool:
    """The installed `chinesecalendar` has this year's holidays (it ships them: no network)."""
    return any(day.year == year for day in cc.holidays)


def year_plan_from_package(year: int) -> YearPlan | None:
    """The year as the package knows it, holidays grouped into ranges of consecutive days."""
    if not package_knows(year):
        return None
    plan = YearPlan(year=year, source=PACKAGE_SOURCE)
    run: list[date] = []
    run_name = ""
    for day in sorted(d for d in cc.holidays if d.year == year):
        name = str(HOLIDAY_NAMES.get(cc.holidays[day], cc.holidays[day]))
        if run and (day - run[-1] != timedelta(days=1) or name != run_name):
            plan.holidays.append(HolidayRange(run_name, run[0], run[-1]))
            run = []
        run.append(day)
        run_name = name
    if run:
        plan.holidays.append(HolidayRange(run_name, run[0], run[-1]))
    for day in sorted(d for d in cc.workdays if d.year == year):
        name = str(HOLIDAY_NAMES.get(cc.workdays[day], cc.workdays[day]))
        plan.makeup_days.append(MakeupDay(day, _("%(name)s调休上班") % {"name": name}))
    return plan


def year_plan_from_table(year: int) -> YearPlan | None:
    """The year as the centre entered it before (None when the table holds no day of it)."""
    rows = list(WorkCalendarDay.objects.filter(date__year=year).order_by("date"))
    if not rows:
        return None
    entry = WorkCalendarYear.objects.filter(year=year).first()
    plan = YearPlan(year=year, source=entry.source if entry else "")
    for row in rows:
        if row.is_workday:
            plan.makeup_days.append(MakeupDay(row.date, row.name))
        elif (
            plan.holidays
            and plan.holidays[-1].last == row.date - timedelta(days=1)
            and (plan.holidays[-1].name == row.name)
        ):
            last = plan.holidays.pop()
            plan.holidays.append(HolidayRange(last.name, last.first, row.date))
        else:
            plan.holidays.append(HolidayRange(row.name, row.date, row.date))
    return plan


def year_is_entered(year: int) -> bool:
    return WorkCalendarYear.objects.filter(year=year, is_complete=True).exists()


# --- rules -------------------------------------------------------------------------------------


def year_in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= timezone.localdate().year + 2


def range_error(year: int, first: date | None, last: date | None) -> tuple[str, str] | None:
    """(field, message) for a holiday range that cannot be, else None."""
    if first is not None and first.year != year:
        return "first", _("日期须在 %(year)s 年内。") % {"year": year}
    if last is not None and last.year != year:
        return "last", _("日期须在 %(year)s 年内。") % {"year": year}
    if first is not None and last is not None and first > last:
        return "last", _("结束日期不能早于开始日期。")
    return None


def overlap_error(earlier: HolidayRange) -> str:
    return _("与“%(name)s”（%(first)s 至 %(last)s）重叠。") % {
        "name": earlier.name,
        "first": earlier.first.isoformat(),
        "last": earlier.last.isoformat(),
    }


def makeup_error(year: int, day: date, holidays: list[HolidayRange]) -> str | None:
    if day.year != year:
        return _("日期须在 %(year)s 年内。") % {"year": year}
    for holiday in holidays:
        if holiday.first <= day <= holiday.last:
            return _("调休上班日不能在放假期间（%(name)s）。") % {"name": holiday.name}
    return None


def plan_validate(plan: YearPlan) -> None:
    """The same rules the form shows next to its fields, for any other caller (raises ValidationFailed)."""
    if not year_in_range(plan.year):
        raise ValidationFailed(_("年份超出可录入范围。"), field="year")
    seen: list[HolidayRange] = []
    for holiday in plan.holidays:
        if not holiday.name.strip():
            raise ValidationFailed(_("请填写节日名称。"), field="name")
        problem = range_error(plan.year, holiday.first, holiday.last)
        if problem:
            raise ValidationFailed(problem[1], field=problem[0])
        for earlier in seen:
            if holiday.first <= earlier.last and earlier.first <= holiday.last:
                raise ValidationFailed(overlap_error(earlier), field="first")
        seen.append(holiday)
    days = [m.day for m in plan.makeup_days]
    if len(days) != len(set(days)):
        raise ValidationFailed(_("同一天不能重复录入。"), field="date")
    for makeup in plan.makeup_days:
        message = makeup_error(plan.year, makeup.day, plan.holidays)
        if message:
            raise ValidationFailed(message, field="date")


# --- saving --------------------------------------------------------------------------------------


@transaction.atomic
def calendar_year_save(*, plan: YearPlan, actor: Any) -> WorkCalendarChange:  # actor: staff.User
    """Replace the year's holidays and make-up days, mark the year complete, recompute every stored
    deadline it moves (each app's registered recompute) and record who did it with the counts."""
    if not access.can_edit_work_calendar(actor):
        raise NotPermitted(_("只有中心管理员或市级管理员可以录入工作日历。"))
    plan_validate(plan)
    # One save at a time: the year's row is the lock, so two saves cannot interleave their recounts.
    WorkCalendarYear.objects.get_or_create(year=plan.year)
    entry = WorkCalendarYear.objects.select_for_update().get(year=plan.year)
    before = WorkCalendar.load_from_database()
    WorkCalendarDay.objects.filter(date__year=plan.year).delete()
    WorkCalendarDay.objects.bulk_create(
        WorkCalendarDay(date=day, is_workday=is_workday, name=name[:50])
        for day, (is_workday, name) in sorted(plan.days().items())
    )
    entry.is_complete = True
    entry.source = plan.source.strip()[:200]
    entry.save(update_fields=["is_complete", "source"])
    calendar_changed()  # bulk_create sends no model signal
    after = WorkCalendar.load_from_database()
    change = CalendarChange(year=plan.year, actor=actor, before=before, after=after, today=timezone.localdate())
    moved = recompute_deadlines(change)
    days = plan.days()
    return WorkCalendarChange.objects.create(
        year=plan.year,
        actor=actor,
        source=entry.source,
        days_off=sum(1 for is_workday, _name in days.values() if not is_workday),
        makeup_days=sum(1 for is_workday, _name in days.values() if is_workday),
        moved=moved,
    )


# --- the preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCell:
    day: date
    kind: str  # "holiday" | "makeup" | "weekend" | "workday"
    name: str


@dataclass(frozen=True)
class MonthGrid:
    month: int
    weeks: list[list[DayCell | None]]


def month_grids(plan: YearPlan) -> list[MonthGrid]:
    """Twelve months, weeks from Monday, each day marked as the saved year would count it."""
    days = plan.days()
    grids = []
    for month in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(plan.year, month):
            row: list[DayCell | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                entered = days.get(day)
                if entered is not None:
                    kind = "makeup" if entered[0] else "holiday"
                    row.append(DayCell(day, kind, entered[1]))
                else:
                    row.append(DayCell(day, "weekend" if day.weekday() >= 5 else "workday", ""))
            weeks.append(row)
        grids.append(MonthGrid(month, weeks))
    return grids
