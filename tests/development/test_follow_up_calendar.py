"""Scoring follow-ups are due 10 working days after they are raised; entering a year of the working
calendar moves an open follow-up's deadline like every other counted deadline (recorded, and told).

The scene (as tests/govservice/test_calendar_year.py): Monday 28 December 2026, 2027 not yet entered,
so 1 January 2027 was counted as a working day; the centre then enters New Year's Day off."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from development.models import FollowUp, FollowUpEvent
from development.scoring.follow_ups import FOLLOW_UP_WORKING_DAYS
from govservice.calendar_year import HolidayRange, YearPlan, calendar_year_save, package_knows
from govservice.workdays import WorkCalendar
from notifications.models import Notice

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
NEW_YEAR_2027 = YearPlan(year=2027, holidays=[HolidayRange("元旦", date(2027, 1, 1), date(2027, 1, 3))], makeup_days=[])


@pytest.fixture(autouse=True)
def _monday_before_new_year(settings):
    assert not package_knows(2027), "the installed chinesecalendar knows 2027: pick a later scene year"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fu"}}
    with time_machine.travel(MONDAY, tick=False):
        yield


def _follow_up(staff, leader, kind: str, status: str = FollowUp.Status.OPEN) -> FollowUp:
    due = WorkCalendar.load().add_working_days(MONDAY.date(), FOLLOW_UP_WORKING_DAYS).date
    return FollowUp.objects.create(
        centre=staff.centre,
        staff=staff,
        month=date(2026, 11, 1),
        kind=kind,
        assignee=leader,
        due_date=due,
        status=status,
    )


def test_an_open_follow_ups_deadline_moves_when_the_year_is_saved_and_the_move_is_recorded(
    window_staff, leader, centre_admin, django_capture_on_commit_callbacks
):
    open_one = _follow_up(window_staff, leader, FollowUp.Kind.INTERVIEW)
    done = _follow_up(window_staff, leader, FollowUp.Kind.TRAINING, status=FollowUp.Status.DONE)
    assert open_one.due_date == date(2027, 1, 11)  # 1 January counted as a working day

    with django_capture_on_commit_callbacks(execute=True):
        change = calendar_year_save(plan=NEW_YEAR_2027, actor=centre_admin)

    open_one.refresh_from_db()
    done.refresh_from_db()
    assert open_one.due_date == date(2027, 1, 12)
    assert done.due_date == date(2027, 1, 11)  # a finished follow-up keeps its date
    assert change.moved["score_follow_up"] == 1
    event = FollowUpEvent.objects.get(follow_up=open_one)
    assert (event.actor, event.old_due_date, event.new_due_date) == (centre_admin, date(2027, 1, 11), date(2027, 1, 12))
    assert not FollowUpEvent.objects.filter(follow_up=done).exists()
    assert Notice.objects.filter(recipient=leader, text__contains="2027-01-12").exists()


def test_saving_the_year_again_moves_no_follow_up_twice(window_staff, leader, centre_admin):
    follow_up = _follow_up(window_staff, leader, FollowUp.Kind.INTERVIEW)
    calendar_year_save(plan=NEW_YEAR_2027, actor=centre_admin)
    again = calendar_year_save(plan=NEW_YEAR_2027, actor=centre_admin)
    follow_up.refresh_from_db()
    assert follow_up.due_date == date(2027, 1, 12)
    assert again.moved["score_follow_up"] == 0
    assert FollowUpEvent.objects.filter(follow_up=follow_up).count() == 1
