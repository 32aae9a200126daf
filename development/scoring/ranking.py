"""Ranking a centre-month: competition ranks, the tie-break order, stars and bottom places."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from staff.models import User

from ..models import IndicatorScore

STAR_SHARE = Decimal("0.10")
BOTTOM_SHARE = Decimal("0.05")
BOTTOM_MIN_HEADCOUNT = 20


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


def star_count(ranked: int) -> int:
    return math.ceil(Decimal(ranked) * STAR_SHARE) if ranked else 0


def bottom_count(ranked: int) -> int:
    count = math.floor(Decimal(ranked) * BOTTOM_SHARE)
    if ranked >= BOTTOM_MIN_HEADCOUNT:
        count = max(count, 1)
    return count


def rank_rows(rows: list[RankRow]) -> None:
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
    stars = star_count(len(ranked))
    bottoms = bottom_count(len(ranked))
    for row in ranked[:stars]:
        row.is_star = True
    for row in ranked[len(ranked) - bottoms :] if bottoms else []:
        if not row.is_star:
            row.is_bottom = True
