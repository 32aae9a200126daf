"""The stage clocks of a 12345 work order, in working days, and their yellow and red warnings.

One definition each, read by the services (setting the clocks), the complaint page and list (the
warnings) and the leader's inbox (an extension request's deadline):

- signing (签收): `work_order_sign_days` working days after the order arrived;
- returning a mis-routed order (退回): allowed until `work_order_return_days` after it arrived;
- handling and answering (办理/办结): `work_order_handle_days` after it arrived, moved by each approved
  extension (at most `work_order_extension_max_days` in all), and counted anew from the callback day
  when the hotline's callback was "not satisfied" (重办).

Days count as every deadline does (govservice.workdays): the arrival day itself is not counted, and
a deadline is the end of its working day (complaints.deadlines.end_of_working_day).

Warnings, as the reply warnings (complaints.deadlines.reply_warning_moment): yellow once 80 % of the
stage's working days have gone by (rounded up to a whole day) and all through its last day (a one-day
clock is yellow on that day), red once the deadline has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice import workdays

from .deadlines import end_of_working_day, reply_warning_moment
from .models import FeedbackPolicy, WorkOrder

YELLOW_LEVEL = 80


class Warning:
    NONE = ""
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True)
class StageClock:
    stage: str  # the running stage's deadline, named ("办理期限")
    due_at: datetime
    working_days: int
    warning: str  # Warning.*

    @property
    def warning_label(self) -> str:
        if self.warning == Warning.RED:
            return str(_("已超时"))
        if self.warning == Warning.YELLOW:
            return str(_("即将到期"))
        return ""


@dataclass(frozen=True)
class Clocks:
    sign_due_at: datetime
    return_due_at: datetime
    handle_due_at: datetime
    provisional: bool


def due_after(calendar: workdays.WorkCalendar, start: datetime, working_days: int) -> tuple[datetime, bool]:
    result = calendar.add_working_days(timezone.localtime(start).date(), working_days)
    return end_of_working_day(result.date), result.provisional


def clocks_from(*, policy: FeedbackPolicy, received_at: datetime, calendar: workdays.WorkCalendar) -> Clocks:
    """The three clocks of an order that arrived at `received_at`, by the centre's policy."""
    sign, p1 = due_after(calendar, received_at, policy.work_order_sign_days)
    back, p2 = due_after(calendar, received_at, policy.work_order_return_days)
    handle, p3 = due_after(calendar, received_at, policy.work_order_handle_days)
    return Clocks(sign_due_at=sign, return_due_at=back, handle_due_at=handle, provisional=p1 or p2 or p3)


def extended(calendar: workdays.WorkCalendar, due_at: datetime, working_days: int) -> tuple[datetime, bool]:
    """The handling deadline moved by an approved extension of `working_days`."""
    return due_after(calendar, due_at, working_days)


def _warning(now: datetime, due: datetime, days: int, calendar: workdays.WorkCalendar) -> str:
    if now > due:
        return Warning.RED
    last_day = timezone.localtime(now).date() == timezone.localtime(due).date()
    if last_day or (days > 0 and now >= reply_warning_moment(due, days, YELLOW_LEVEL, calendar)):
        return Warning.YELLOW
    return Warning.NONE


def stage_clock(
    order: WorkOrder, now: datetime | None = None, calendar: workdays.WorkCalendar | None = None
) -> StageClock | None:
    """The clock of the stage the order is in (None when no clock runs: returned, answered, closed)."""
    now = now or timezone.now()
    if order.status == WorkOrder.Status.AWAITING_SIGN:
        stage, due, days = _("签收期限"), order.sign_due_at, order.sign_working_days
    elif order.status in (WorkOrder.Status.HANDLING, WorkOrder.Status.EXTENSION_REQUESTED):
        stage, due, days = _("办理期限"), order.handle_due_at, order.handle_working_days
    else:
        return None
    calendar = calendar or workdays.WorkCalendar.load()
    return StageClock(stage=str(stage), due_at=due, working_days=days, warning=_warning(now, due, days, calendar))
