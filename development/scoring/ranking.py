"""Ranking a centre-month: competition ranks, stars and bottom places, and the tie rule.

Equal scores get equal outcomes. The star places are ceil(n × star_share) and the bottom places
max(1 if n ≥ bottom_min_headcount else 0, floor(n × bottom_share)) (`star_count`, `bottom_count`);
where a tie straddles a line, the scheme version's published tie rule (`TieRule`) settles it:

- ALL_TIED: everyone tied on the total with the last star is a star (and everyone tied with the
  first bottom place is a bottom place), so a line inside a tie gives more places, never fewer.
- INDICATORS: the tie is compared on real indicators in a published order (citizen-evaluation
  points, valid evaluations, completed cases); people equal on all of them still share the outcome.

No staff number, name or input order ever decides anything: `position` is only the display order
(the comparison key, then the username). A star is never a bottom place. Staff who are not ranked
(too few evaluations, no data at all) get no rank, no position and no outcome.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.db import models

from staff.models import User

from ..models import ScoringScheme, TieRule
from .rules import ScoreLine


@dataclass(frozen=True)
class RankingPolicy:
    """How many stars and bottom places a month has and how a tie is settled: the scheme version's rules."""

    star_share: Decimal
    bottom_share: Decimal
    bottom_min_headcount: int
    tie_rule: str = TieRule.ALL_TIED

    @classmethod
    def of(cls, scheme: ScoringScheme) -> RankingPolicy:
        return cls(scheme.star_share, scheme.bottom_share, scheme.bottom_min_headcount, scheme.tie_rule)


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
    tie_rule=str(_field_default("tie_rule")),
)


@dataclass
class RankRow:
    staff: User
    total: Decimal | None
    evaluation_count: int
    cases_completed: int
    evaluation_points: Decimal
    ranked: bool
    not_ranked_reason: str
    indicator_rows: list[ScoreLine]
    rank: int | None = None
    position: int | None = None
    is_star: bool = False
    is_bottom: bool = False
    leave_days: Decimal = Decimal(0)
    pending_complaints: int = 0


class Ranked(Protocol):
    """What the rules read of a row: a RankRow while computing, a StaffMonthScore when explaining."""

    @property
    def staff(self) -> User: ...
    @property
    def total(self) -> Decimal | None: ...
    @property
    def evaluation_points(self) -> Decimal: ...
    @property
    def evaluation_count(self) -> int: ...
    @property
    def cases_completed(self) -> int: ...


Key = tuple[Decimal, ...]


def star_count(ranked: int, policy: RankingPolicy = DEFAULT_POLICY) -> int:
    return math.ceil(Decimal(ranked) * policy.star_share) if ranked else 0


def bottom_count(ranked: int, policy: RankingPolicy = DEFAULT_POLICY) -> int:
    count = math.floor(Decimal(ranked) * policy.bottom_share)
    # `ranked` too: a scheme may set the minimum headcount to 0, and no one ranked is no bottom place.
    if ranked and ranked >= policy.bottom_min_headcount:
        count = max(count, 1)
    return count


def comparison_key(row: Ranked, tie_rule: str) -> Key:
    """What is compared: the total alone, or the total then the published indicators (higher is better)."""
    total = row.total if row.total is not None else Decimal(0)
    if tie_rule == TieRule.INDICATORS:
        return (total, row.evaluation_points, Decimal(row.evaluation_count), Decimal(row.cases_completed))
    return (total,)


def rank_rows(rows: list[RankRow], policy: RankingPolicy = DEFAULT_POLICY) -> None:
    """Competition ranks (ties share a rank), then stars and bottom places by key thresholds."""
    for row in rows:
        row.rank, row.position, row.is_star, row.is_bottom = None, None, False, False
    ranked = [r for r in rows if r.ranked and r.total is not None]
    ranked.sort(key=lambda r: (tuple(-k for k in comparison_key(r, policy.tie_rule)), r.staff.username))
    # The total leads every key, so equal totals are adjacent: a row's rank is the position of the
    # first row with its total (competition ranking, "1, 2, 2, 4").
    previous: RankRow | None = None
    for position, row in enumerate(ranked, start=1):
        row.position = position
        row.rank = previous.rank if previous is not None and previous.total == row.total else position
        previous = row
    n = len(ranked)
    stars, bottoms = star_count(n, policy), bottom_count(n, policy)
    keys = [comparison_key(r, policy.tie_rule) for r in ranked]
    if stars:
        star_line = keys[stars - 1]
        for row, key in zip(ranked, keys, strict=True):
            row.is_star = key >= star_line
    if bottoms:
        bottom_line = keys[n - bottoms]
        for row, key in zip(ranked, keys, strict=True):
            row.is_bottom = key <= bottom_line and not row.is_star


@dataclass(frozen=True)
class TiePerson:
    name: str
    evaluation_points: Decimal
    evaluation_count: int
    cases_completed: int
    outcome: bool


@dataclass(frozen=True)
class BoundaryNote:
    """One line of the month (the star line or the bottom line): its places and, for a tie on it, the decision."""

    kind: str  # "star" or "bottom"
    places: int  # the places the rule gives
    taken: int  # the people who have the outcome
    tie_total: Decimal | None = None  # set when a tie on the total straddles the line
    tie_places: int = 0  # the places left for the tied group by the count
    people: list[TiePerson] = field(default_factory=list)

    @property
    def all_in(self) -> bool:
        return all(p.outcome for p in self.people)


def boundary_notes(
    rows: Sequence[Ranked], outcome_star: Sequence[bool], outcome_bottom: Sequence[bool], policy: RankingPolicy
) -> list[BoundaryNote]:
    """Explain both lines of a ranked month from its rows and their outcomes (for the month page)."""
    totals: list[Decimal] = []
    for row in rows:
        if row.total is None:
            raise ValueError("only ranked rows have a line")
        totals.append(row.total)
    n = len(rows)
    notes = []
    for kind, places, outcome in (
        ("star", star_count(n, policy), outcome_star),
        ("bottom", bottom_count(n, policy), outcome_bottom),
    ):
        note = BoundaryNote(kind=kind, places=places, taken=sum(1 for o in outcome if o))
        if places:
            line_total = sorted(totals, reverse=(kind == "star"))[places - 1]
            better = sum(1 for t in totals if (t > line_total if kind == "star" else t < line_total))
            tied = [i for i in range(n) if totals[i] == line_total]
            if better + len(tied) > places:  # the line falls inside the tie
                note = BoundaryNote(
                    kind=kind,
                    places=places,
                    taken=note.taken,
                    tie_total=line_total,
                    tie_places=places - better,
                    people=[
                        TiePerson(
                            name=rows[i].staff.name or rows[i].staff.username,
                            evaluation_points=rows[i].evaluation_points,
                            evaluation_count=rows[i].evaluation_count,
                            cases_completed=rows[i].cases_completed,
                            outcome=outcome[i],
                        )
                        for i in sorted(tied, key=lambda i: rows[i].staff.username)
                    ],
                )
        notes.append(note)
    return notes
