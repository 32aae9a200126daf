"""Ranking a centre-month: competition ranks, the tie-break order, stars and bottom places."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from staff.models import User

from ..models import IndicatorScore, ScoringScheme


@dataclass(frozen=True)
class RankingPolicy:
    """How many stars and bottom places a month has: the scheme's numbers (a centre may change them)."""

    star_share: Decimal
    bottom_share: Decimal
    bottom_min_headcount: int

    @classmethod
    def of(cls, scheme: ScoringScheme) -> RankingPolicy:
        return cls(scheme.star_share, scheme.bottom_share, scheme.bottom_min_headcount)


def _field_default(name: str) -> object:
    field = ScoringScheme._meta.get_field(name)
    if not isinstance(field, models.Field):  # a reverse relation has no default; the names below are fields
        raise TypeError(name)
    return field.default


# A new scheme's numbers, read from the model so that the rule is written down once.
DEFAULT_POLICY = RankingPolicy(
    star_share=Decimal(str(_field_default("star_share"))),
    bottom_share=Decimal(str(_field_default("bottom_share"))),
    bottom_min_headcount=int(str(_field_default("bottom_min_headcount"))),
)


@dataclass
class RankRow:
    staff: User
    total: Decimal
    evaluation_count: int
    cases_completed: int
    evaluation_points: Decimal
    ranked: bool
    not_ranked_reason: str
    indicator_rows: list[IndicatorScore]
    rank: int | None = None
    position: int | None = None
    is_star: bool = False
    is_bottom: bool = False


def star_count(ranked: int, policy: RankingPolicy = DEFAULT_POLICY) -> int:
    return math.ceil(Decimal(ranked) * policy.star_share) if ranked else 0


def bottom_count(ranked: int, policy: RankingPolicy = DEFAULT_POLICY) -> int:
    count = math.floor(Decimal(ranked) * policy.bottom_share)
    # `ranked` too: a scheme may set the minimum headcount to 0, and no one ranked is no bottom place.
    if ranked and ranked >= policy.bottom_min_headcount:
        count = max(count, 1)
    return count


def rank_rows(rows: list[RankRow], policy: RankingPolicy = DEFAULT_POLICY) -> None:
    """Competition ranking (ties share a rank) and positions by the tie-break rule."""
    ranked = [r for r in rows if r.ranked]
    ranked.sort(
        key=lambda r: (
            -r.total,
            -r.evaluation_points,
            -r.evaluation_count,
            -r.cases_completed,
            r.staff.staff_no or "",
            r.staff.username,
        )
    )
    previous_total: Decimal | None = None
    for position, row in enumerate(ranked, start=1):
        row.position = position
        row.rank = position if row.total != previous_total else ranked[position - 2].rank
        previous_total = row.total
    stars = star_count(len(ranked), policy)
    bottoms = bottom_count(len(ranked), policy)
    for row in ranked[:stars]:
        row.is_star = True
    for row in ranked[len(ranked) - bottoms :] if bottoms else []:
        if not row.is_star:
            row.is_bottom = True
