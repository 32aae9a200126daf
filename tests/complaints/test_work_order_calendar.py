"""A 12345 work order's clocks when a year of the working calendar is saved: each clock keeps its working days
on the new calendar, the complaint's reply deadline stays the order's handling clock, and the move is written
down with who saved the calendar and told to the complaint's owner."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintEvent, WorkOrder
from complaints.work_order_calendar import work_order_clocks_recompute
from govservice.calendar_hooks import CalendarChange
from govservice.calendar_year import HolidayRange, YearPlan, calendar_year_save
from govservice.workdays import WorkCalendar
from notifications.models import Notice
from tests.factories.work_orders import work_order

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
Action, Status = WorkOrder.Action, WorkOrder.Status


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _with_days_off(*days: date) -> tuple[WorkCalendar, WorkCalendar]:
    before = WorkCalendar.load()
    return before, WorkCalendar({**before.overrides, **dict.fromkeys(days, False)}, before.complete_years)


@pytest.fixture(autouse=True)
def _local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "wo-cal"}}


def test_saving_the_year_moves_every_clock_of_a_waiting_order_and_keeps_the_reply_deadline_in_step(
    centre, centre_admin, window_staff, django_capture_on_commit_callbacks
):
    with time_machine.travel(_at(2026, 12, 31, 10, 0), tick=False):  # a Thursday; 2027 not published yet
        order = work_order(centre, owner=window_staff)
        assert [_day(order.sign_due_at), _day(order.return_due_at), _day(order.handle_due_at)] == [
            date(2027, 1, 1),  # counted as a working day while 2027 is unpublished
            date(2027, 1, 4),
            date(2027, 1, 7),
        ]
        assert order.due_provisional
        plan = YearPlan(year=2027, holidays=[HolidayRange("元旦", date(2027, 1, 1), date(2027, 1, 3))], makeup_days=[])
        with django_capture_on_commit_callbacks(execute=True):
            change = calendar_year_save(plan=plan, actor=centre_admin)

    order.refresh_from_db()
    complaint = Complaint.objects.get(id=order.complaint_id)
    assert [_day(order.sign_due_at), _day(order.return_due_at), _day(order.handle_due_at)] == [
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 8),
    ]
    assert timezone.localtime(order.handle_due_at) == _at(2027, 1, 8, 17, 30)
    assert not order.due_provisional
    assert (complaint.reply_due_at, complaint.reply_due_provisional) == (order.handle_due_at, False)
    assert change.moved["work_order"] == 1
    # One story of the move, on the complaint: the order's, not a second one from the reply recount.
    notes = list(ComplaintEvent.objects.filter(complaint=complaint, actor=centre_admin).values_list("note", flat=True))
    assert len(notes) == 1 and "2027-01-08" in notes[0] and order.order_no in notes[0]
    assert Notice.objects.filter(recipient=window_staff, url=complaint.get_absolute_url()).count() == 1


def test_an_approved_extension_keeps_its_days_when_a_holiday_falls_inside(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):  # a Friday
        order = work_order(centre, owner=window_staff)
        for action in (Action.SIGN, Action.REQUEST_EXTENSION):
            services.work_order_transition(
                work_order_id=order.id, action=action, note="理由", days=3, actor=window_staff
            )
        services.work_order_transition(work_order_id=order.id, action=Action.APPROVE_EXTENSION, note="", actor=leader)
    order.refresh_from_db()
    assert _day(order.handle_due_at) == date(2026, 3, 18)  # 5 + 3 working days
    before, after = _with_days_off(date(2026, 3, 16))

    with time_machine.travel(_at(2026, 3, 10, 9, 0), tick=False):
        assert work_order_clocks_recompute(CalendarChange(2026, leader, before, after, date(2026, 3, 10))) == 1

    order.refresh_from_db()
    assert _day(order.handle_due_at) == date(2026, 3, 19)
    assert Complaint.objects.get(id=order.complaint_id).reply_due_at == order.handle_due_at


def test_a_handled_again_order_counts_from_its_callback_day(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre, owner=window_staff)
    WorkOrder.objects.filter(id=order.id).update(status=Status.ANSWERED)
    Complaint.objects.filter(id=order.complaint_id).update(status=Complaint.Status.REPLIED)
    with time_machine.travel(_at(2026, 3, 16, 11, 0), tick=False):  # a Monday
        order = services.work_order_transition(
            work_order_id=order.id,
            action=Action.CALLBACK,
            note="",
            actor=None,
            by_platform=True,
            callback_result=WorkOrder.CallbackResult.NOT_SATISFIED,
        )
    assert _day(order.handle_due_at) == date(2026, 3, 23)
    before, after = _with_days_off(date(2026, 3, 18))

    with time_machine.travel(_at(2026, 3, 17, 9, 0), tick=False):
        work_order_clocks_recompute(CalendarChange(2026, leader, before, after, date(2026, 3, 17)))

    order.refresh_from_db()
    assert _day(order.handle_due_at) == date(2026, 3, 24)  # from the callback day, not the arrival
    assert Complaint.objects.get(id=order.complaint_id).reply_due_at == order.handle_due_at


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CLOSED, Status.RETURNED])
def test_an_order_whose_clocks_have_stopped_is_left_alone(status, centre, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre)
    WorkOrder.objects.filter(id=order.id).update(status=status)
    before, after = _with_days_off(date(2026, 3, 9), date(2026, 3, 10))

    assert work_order_clocks_recompute(CalendarChange(2026, leader, before, after, date(2026, 3, 6))) == 0

    assert WorkOrder.objects.get(id=order.id).handle_due_at == order.handle_due_at


def test_a_holiday_after_every_clock_moves_nothing(centre, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre)
    before, after = _with_days_off(date(2026, 3, 20))

    assert work_order_clocks_recompute(CalendarChange(2026, leader, before, after, date(2026, 3, 6))) == 0

    assert not ComplaintEvent.objects.filter(complaint_id=order.complaint_id, actor=leader).exists()
