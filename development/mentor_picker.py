"""Who the mentor picker offers: only staff who may mentor today, and why each other person is missing.

The rules are the ones `services.mentor_pair` enforces (≥ 5 years on the windows, an excellent last
annual appraisal, at most two mentees); read for the whole centre with three queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from staff.models import User

from .models import MAX_MENTEES, MENTOR_MIN_YEARS, Appraisal, MentorPairing, full_years_between


@dataclass(frozen=True)
class Missing:
    person: User
    reasons: list[str]


def mentor_candidates(staff: QuerySet[User], on: date) -> tuple[QuerySet[User], list[Missing]]:
    people = list(staff)
    ids = [p.id for p in people]
    last_grade: dict[int, str] = {}
    for staff_id, grade in (
        Appraisal.objects.filter(staff_id__in=ids, year__lt=on.year)
        .order_by("staff_id", "-year")
        .values_list("staff_id", "grade")
    ):
        last_grade.setdefault(staff_id, grade)
    mentees = dict(
        MentorPairing.objects.filter(mentor_id__in=ids, ended_on__isnull=True)
        .values("mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentor_id", "n")
    )
    eligible, missing = [], []
    for person in people:
        reasons = []
        if not person.started_on or full_years_between(person.started_on, on) < MENTOR_MIN_YEARS:
            reasons.append(_("窗口工作不满 %(years)d 年") % {"years": MENTOR_MIN_YEARS})
        if last_grade.get(person.id) != Appraisal.Grade.EXCELLENT:
            reasons.append(_("最近一次年度考核不是优秀"))
        if mentees.get(person.id, 0) >= MAX_MENTEES:
            reasons.append(_("已带满 %(n)d 名学员") % {"n": MAX_MENTEES})
        if reasons:
            missing.append(Missing(person, reasons))
        else:
            eligible.append(person.id)
    return staff.filter(id__in=eligible), missing
