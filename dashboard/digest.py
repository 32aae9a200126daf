"""The leaders' weekly digest (每周简报): last week against the week before, what is overdue now,
the top complaint categories and problems, the month's stars so far, and next week's rota gaps.

Built from the dashboard's own figures (`dashboard_for` over the two weeks), so a number in the
digest is the number the dashboard shows for the same week: one definition, two readers. The
digest is built for one leader, in that leader's scope (a centre leader: the centre; a city
leader: the city), and rendered three ways (page, PDF, e-mail) from the one `Digest` value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors as complaints_selectors
from complaints.rota import duty_week
from development import selectors as development_selectors
from govservice import access
from govservice.models import Centre
from staff.models import User
from staff.selectors import centre_list_for

from .figures import DashboardFilters, dashboard_for
from .figures.types import Dashboard

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
TOP = 3


class BadWeek(ValueError):
    """A week not written as ISO 2026-W49, or not a week of that year."""


def parse_week(text: str) -> date:
    """The Monday of an ISO week written "2026-W49"."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise BadWeek(_("周次应写成 2026-W49 的形式。"))
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise BadWeek(_("%(year)s 年没有第 %(week)s 周。") % {"year": match[1], "week": match[2]}) from exc


def week_label(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_full_week(today: date | None = None) -> date:
    """The Monday of the week before this one (what Monday's digest reports)."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday() + 7)


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    this_week: int | float | None
    last_week: int | float | None
    url: str = ""

    @property
    def delta(self) -> int | float | None:
        if self.this_week is None or self.last_week is None:
            return None
        return round(self.this_week - self.last_week, 1)


@dataclass(frozen=True)
class Ranked:
    label: str
    count: int
    url: str = ""


@dataclass(frozen=True)
class RotaGap:
    centre: str
    day: date
    half: str
    reason: str


@dataclass
class Digest:
    leader: User
    monday: date
    figures: list[Change]
    overdue: list[Ranked]
    top_categories: list[Ranked]
    top_problems: list[Ranked]
    stars: list[Ranked]
    stars_month: date
    rota_gaps: list[RotaGap]
    scope: str
    notes: list[str] = field(default_factory=list)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def week(self) -> str:
        return week_label(self.monday)

    @property
    def rota_monday(self) -> date:
        """The rota shown is of the week the digest is read in (the one after the reported week)."""
        return self.monday + timedelta(days=7)


def _week_figures(leader: User, monday: date) -> Dashboard:
    return dashboard_for(user=leader, filters=DashboardFilters(start=monday, end=monday + timedelta(days=6)))


def _totals(data: Dashboard) -> dict[str, tuple[str, int | float | None, str]]:
    """The week's headline figures by key: (label, value, link)."""
    rated = sum(s.total for s in data.satisfaction_by_channel)
    good = sum((s.good_rate or 0) * s.total for s in data.satisfaction_by_channel)
    figures: dict[str, tuple[str, int | float | None, str]] = {
        "complaints": (_("投诉建议"), sum(s.count for s in data.complaints_by_category), ""),
        "evaluations": (_("评价"), rated, ""),
        "good_rate": (_("好评率(%)"), round(good / rated, 1) if rated else None, ""),
    }
    for tile in data.cases:
        figures[tile.key] = (tile.label, tile.value, tile.url)
    return figures


def _centres(leader: User) -> list[Centre]:
    return list(centre_list_for(user=leader))


def _top_problems(leader: User, monday: date) -> list[Ranked]:
    sunday = monday + timedelta(days=6)
    rows = (
        complaints_selectors.complaint_list_for(user=leader)
        .filter(received_at__date__range=(monday, sunday), problem__isnull=False)
        .values("problem__code", "problem__title")
        .annotate(n=Count("id"))
        .order_by("-n", "problem__code")[:TOP]
    )
    return [Ranked(f"{row['problem__code']} {row['problem__title']}", row["n"]) for row in rows]


def _stars(leader: User, month: date) -> list[Ranked]:
    stars: list[Ranked] = []
    for centre in _centres(leader):
        for star in development_selectors.month_stars(centre=centre, month=month):
            stars.append(Ranked(f"{star.name}（{star.window}）" if star.window else star.name, 0))
    return stars


def _rota_gaps(leader: User, next_monday: date) -> list[RotaGap]:
    gaps: list[RotaGap] = []
    for centre in _centres(leader):
        for half_day in duty_week(centre=centre, monday=next_monday).half_days:
            if half_day.gap:
                gaps.append(RotaGap(centre.name, half_day.day, str(half_day.half_label), half_day.gap))
    return gaps


def build_digest(*, leader: User, monday: date) -> Digest:
    """The digest of the ISO week starting `monday`, as `leader` is allowed to see it."""
    monday = monday - timedelta(days=monday.weekday())
    this_week = _week_figures(leader, monday)
    last_week = _totals(_week_figures(leader, monday - timedelta(days=7)))
    figures = [
        Change(key, label, value, last_week.get(key, (label, None, ""))[1], url)
        for key, (label, value, url) in _totals(this_week).items()
    ]
    overdue = [Ranked(str(f.label), int(f.value or 0), f.url) for f in this_week.decisions if f.value]
    categories = sorted(this_week.complaints_by_category, key=lambda s: (-s.count, s.label))
    top_categories = [Ranked(s.label, s.count, s.url) for s in categories if s.count][:TOP]
    stars_month = (monday + timedelta(days=6)).replace(day=1)
    centres = _centres(leader)
    scope = _("全市") if access.is_city_wide(leader) and len(centres) > 1 else ", ".join(c.name for c in centres)
    return Digest(
        leader=leader,
        monday=monday,
        figures=figures,
        overdue=overdue,
        top_categories=top_categories,
        top_problems=_top_problems(leader, monday),
        stars=_stars(leader, stars_month),
        stars_month=stars_month,
        rota_gaps=_rota_gaps(leader, monday + timedelta(days=7)),
        scope=scope,
        notes=list(this_week.missing),
    )
