"""The whole dashboard in 6 queries (`dashboard_for`): the decisions to take today, and every domain's figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from govservice import access
from govservice.workdays import WorkCalendar, work_calendar_overrides
from staff.models import User

from .cases import _case_figures, _case_parts, _staff_tiles
from .common import _month_buckets, _names, _narrowed, _single_rows
from .feedback import _complaints, _evaluation_groups, _satisfaction
from .ledger import _centre_rows, _ledger
from .registry import registry_figures
from .types import Choice, Dashboard, DashboardFilters, _Named

_CALENDAR_HORIZON = timedelta(days=31)  # the longest run of days off (春节, 国庆) is 9 days


def _next_working_day(today: date) -> date:
    """The working day after `today`, by the work calendar's own rules, in one query.

    Only the overrides of the next weeks matter, and the complete years only decide whether a
    date is provisional, which is not shown here; `WorkCalendar.load()` reads both whole tables.
    """
    horizon = today + _CALENDAR_HORIZON
    nearby = work_calendar_overrides(after=today, until=horizon)
    soon = WorkCalendar(nearby, frozenset()).add_working_days(today, 1).date
    return soon if soon <= horizon else WorkCalendar.load().add_working_days(today, 1).date


def dashboard_for(*, user: User, filters: DashboardFilters, today: date | None = None) -> Dashboard:
    """The whole dashboard in 6 queries, whatever the volume.

    The ledger (1), the case figures (1), complaints (1), evaluations (1), the names of what those
    grouped by id, with the filter form's choices (1), and the registry's figures (govservice.metrics:
    today's decisions, open complaints by category, the city's per-centre table) together (1). The
    work calendar the overdue rules need comes from its cache (2 queries more when not cached).
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    missing: list[str] = []

    ledger = _ledger(user, filters, today)
    values = _single_rows(*_case_parts(user, filters, start, end))
    complaints_by_category, complaints_by_month = _complaints(user, filters, start, end)
    buckets = _month_buckets(start, end)
    groups = _evaluation_groups(user, filters, buckets)
    names = _names(
        user=user, windows={g.window_id for g in groups if g.window_id}, channels={g.channel_id for g in groups}
    )
    by_month, by_window, by_channel = _satisfaction(groups, buckets, names, filters, user=user)
    # The figures of today's decisions, the open complaints by category and the city's per-centre
    # table are the registry's (govservice.metrics): the numbers the menu badges, the feedback overview
    # and the lists show.
    city = [(c.code, c.name) for c in names["centre"].values()] if access.is_city_wide(user) else None
    decisions, by_category, centre_columns, centre_figures = registry_figures(user, filters, city)
    return Dashboard(
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        decisions=decisions,
        ledger=ledger.rows,
        ledger_total=ledger.total,
        centres=_centre_rows(ledger, names["centre"], filters) if access.is_city_wide(user) else [],
        by_category=by_category,
        centre_columns=centre_columns,
        centre_table=centre_figures,
        complaints_by_category=complaints_by_category,
        complaints_by_month=complaints_by_month,
        satisfaction_by_month=by_month,
        satisfaction_by_window=by_window,
        satisfaction_by_channel=by_channel,
        cases=_case_figures(values, filters, narrowed=_narrowed(user, filters)),
        staff=_staff_tiles(user, filters, names["centre"], missing),
        missing=missing,
        department_choices=_department_choices(names, city_wide=access.is_city_wide(user)),
        centre_choices=[Choice(c.code, c.name) for c in sorted(names["centre"].values(), key=lambda c: c.code)]
        if access.is_city_wide(user)
        else [],
        computed_at=timezone.now(),
    )


def _department_choices(names: dict[str, dict[int, _Named]], *, city_wide: bool) -> list[Choice]:
    """The departments in scope, by centre then name; city-wide users see which centre each is in."""
    centres = names["centre"]
    choices = []
    for pk, department in sorted(
        names["department"].items(),
        key=lambda item: (centres[item[1].parent].code if item[1].parent in centres else "", item[1].name),
    ):
        centre = centres.get(department.parent) if city_wide and department.parent is not None else None
        choices.append(Choice(pk, f"{centre.name} · {department.name}" if centre else department.name))
    return choices
