"""The whole dashboard in 6 queries (`dashboard_for`): the decisions to take today, and every domain's figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Aggregate, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors as complaints_selectors
from govservice import access
from govservice.workdays import WorkCalendar, work_calendar_overrides
from notifications import selectors as notifications_selectors
from staff.models import User

from .cases import _case_figures, _case_parts, _staff_tiles
from .common import _month_buckets, _names, _narrowed, _scoped, _single_rows, _url
from .feedback import _complaints, _evaluation_groups, _satisfaction
from .ledger import _centre_rows, _ledger
from .types import Choice, Dashboard, DashboardFilters, Figure, _Named

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

    The ledger (1), the work calendar's next weeks (1), the single figures of every table
    together (1), complaints (1), evaluations (1), and the names of what those grouped by id,
    with the filter form's choices (1).
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    missing: list[str] = []

    ledger = _ledger(user, filters, today)
    singles: list[tuple[QuerySet, dict[str, Aggregate]]] = [(ledger.overdue_measures, {"overdue_measures": Count("*")})]

    near = complaints_selectors.escalations_open_due_by(day=_next_working_day(today))
    singles.append((_scoped(near, user, filters), {"escalations_due": Count("*")}))
    waiting = _scoped(complaints_selectors.bad_reviews_awaiting_callback(), user, filters)
    singles.append((waiting, {"bad_reviews_without_callback": Count("*")}))
    sms = notifications_selectors.sms_failed_between(start=start, end=end)
    sms = sms if access.is_city_wide(user) and not filters.centre else _scoped(sms, user, filters)
    singles.append((sms, {"sms_failed": Count("*")}))
    singles += _case_parts(user, filters, start, end)
    values = _single_rows(*singles)

    decisions = [
        Figure(
            "overdue_measures",
            _("逾期整改措施"),
            values["overdue_measures"],
            _url("rectification:ledger", {"overdue": 1, **_narrowed(user, filters)}),
            "danger" if values["overdue_measures"] else "",
        ),
        Figure(
            "close_out_waiting",
            _("待验收的销号申请"),
            ledger.total.close_out_applied,
            ledger.total.urls["close_out_applied"],
            "warn" if ledger.total.close_out_applied else "",
        ),
        Figure(
            "escalations_due",
            _("办不成事：临近或超过 2/5 个工作日时限"),
            values["escalations_due"],
            # The escalation list has no due-date filter yet; it opens the open matters.
            _url("complaints:escalation-list", {"due": "soon", **_narrowed(user, filters, department=False)}),
            "danger" if values["escalations_due"] else "",
        ),
        Figure(
            "bad_reviews_without_callback",
            _("差评未回访"),
            values["bad_reviews_without_callback"],
            _url("complaints:bad-review-list", {"status": "rectified", **_narrowed(user, filters, department=False)}),
            "warn" if values["bad_reviews_without_callback"] else "",
        ),
        Figure(
            "sms_failed",
            _("短信发送失败"),
            values["sms_failed"],
            _url("notifications:sms-list", {"status": "failed", **_narrowed(user, filters, department=False)}),
            "warn" if values["sms_failed"] else "",
        ),
    ]

    complaints_by_category, complaints_by_month = _complaints(user, filters, start, end)
    buckets = _month_buckets(start, end)
    groups = _evaluation_groups(user, filters, buckets)
    names = _names(
        user=user, windows={g.window_id for g in groups if g.window_id}, channels={g.channel_id for g in groups}
    )
    by_month, by_window, by_channel = _satisfaction(groups, buckets, names, filters, user=user)
    return Dashboard(
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        decisions=decisions,
        ledger=ledger.rows,
        ledger_total=ledger.total,
        centres=_centre_rows(ledger, names["centre"], filters) if access.is_city_wide(user) else [],
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
