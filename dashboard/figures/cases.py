"""The case figures (办件, 容缺受理, 帮办代办) and the tiles that open the staff-development pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cases import selectors as cases_selectors
from staff.models import User

from .common import _rate, _scoped, _url
from .types import DashboardFilters, Figure, _Named


def _case_parts(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> list[tuple[QuerySet, dict[str, Aggregate]]]:
    """Same meanings as the cases list filters (`deficient` = has a written commitment, `assisted` = special group)."""
    queryset = _scoped(cases_selectors.cases_created_between(start=start, end=end), user, filters)
    # The totals from the cases' day counts (kept by triggers, govservice/rollups.py), not a
    # scan of every case of the period; the few commitments and assistance records below are
    # still joined to their cases.
    days = _scoped(cases_selectors.case_day_counts_between(start=filters.start, end=filters.end), user, filters)
    if filters.department:
        queryset = queryset.filter(matter_type__department_id=filters.department)
        days = days.filter(matter_type__department_id=filters.department)
    special = Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True)
    figures: dict[str, Aggregate] = {
        "cases_total": Sum("n", default=0),
        "cases_assisted": Sum("n", filter=special, default=0),
    }
    deficient: dict[str, Aggregate] = {
        "cases_deficient": Count("id"),
        "cases_corrected_in_time": Count("id", filter=Q(still_deferred=False, corrected_late=False)),
    }
    assisted: dict[str, Aggregate] = {
        "assistance_rated": Count("id", filter=Q(satisfaction__isnull=False)),
        "assistance_good": Count("id", filter=Q(satisfaction__gte=4)),
    }
    return [
        (days, figures),
        (cases_selectors.commitments_with_correction_facts(cases=queryset), deficient),
        (cases_selectors.assistance_for_cases(cases=queryset.filter(special)), assisted),
    ]


def _case_figures(values: dict[str, int], filters: DashboardFilters, *, narrowed: dict[str, object]) -> list[Figure]:
    period = {"from": filters.start, "to": filters.end, **narrowed}
    url = "cases:case-list"
    return [
        Figure("cases_total", _("办件量"), values["cases_total"], _url(url, period)),
        Figure("cases_deficient", _("容缺受理"), values["cases_deficient"], _url(url, {**period, "deficient": 1})),
        Figure(
            "cases_corrected_in_time_rate",
            _("按期补正率(%)"),
            _rate(values["cases_corrected_in_time"], values["cases_deficient"]),
            _url(url, {**period, "deficient": 1}),
        ),
        Figure("cases_assisted", _("帮办代办"), values["cases_assisted"], _url(url, {**period, "assisted": 1})),
        Figure(
            "cases_assisted_satisfaction",
            _("帮办代办满意率(%)"),
            _rate(values["assistance_good"], values["assistance_rated"]),
            _url("cases:assistance"),
        ),
    ]


def _staff_tiles(user: User, filters: DashboardFilters, centres: dict[int, _Named], missing: list[str]) -> list[Figure]:
    """Tiles that open the staff-development pages (service stars, training) where they exist."""
    own = centres.get(user.centre_id) if user.centre_id else None
    centre_code = filters.centre or (own.code if own else "")
    tiles = []
    star_url = _url("staff:star-board", None, centre_code) if centre_code else ""
    star_url = star_url or _url("staff:score-months")
    for key, label, url in (
        ("service_stars", _("本月服务之星"), star_url),
        ("training", _("培训计划完成情况"), _url("staff:training")),
    ):
        if url:
            tiles.append(Figure(key, label, None, url))
        else:
            missing.append(_("%(l)s（staff 页面尚未提供）") % {"l": label})
    return tiles
