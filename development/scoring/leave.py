"""Days of leave in a month (entered by the administrator) and the month's working days, for pro-rating."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from govservice.models import Centre
from govservice.workdays import WorkCalendar

from ..models import StaffLeave, month_start, next_month


def working_days_in(month: date, calendar: WorkCalendar | None = None) -> int:
    """Working days of the month on the centre's calendar (调休 weekends count, holidays do not)."""
    calendar = calendar or WorkCalendar.load()
    first = month_start(month)
    return calendar.count_working_days(first - timedelta(days=1), next_month(first) - timedelta(days=1)).days


def leave_days_for(*, centre: Centre, month: date) -> dict[int, Decimal]:
    return dict(StaffLeave.objects.filter(centre=centre, month=month_start(month)).values_list("staff_id", "days"))
