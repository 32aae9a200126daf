"""The service-star ranking holds its rules for any month's scores and any scheme policy.

The rules, as `development/scoring/ranking.py` defines them:

- Only the ranked rows (enough valid evaluations, some data) take part; the others get no rank, no
  position, no star and no bottom place.
- Rank: competition style ("1, 2, 2, 4"): one more than the number of ranked rows with a strictly
  higher total. Equal totals always share a rank.
- Equal scores, equal outcomes: under the scheme's tie rule "all tied" two people with the same total
  are both stars or both not, both bottom or both not; under "indicators" the same holds for people
  equal on the published key (total, citizen-evaluation points, valid evaluations, completed cases).
  The staff number, the name and the input order never change an outcome.
- Places: stars = ceil(n × star_share); bottom places = max(1 if n ≥ minimum headcount else 0,
  floor(n × bottom_share)). A tie on the line gives everyone in it the outcome, so the stars are at
  least the star places and exactly the rows whose key reaches the key of the last star place; the
  bottom places likewise from the other end. A star is never a bottom place.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from development.models import TieRule
from development.scoring import (
    DEFAULT_POLICY,
    RankingPolicy,
    RankRow,
    bottom_count,
    boundary_notes,
    comparison_key,
    rank_rows,
    star_count,
)
from staff.models import User

EXAMPLES = settings(max_examples=100, deadline=None)  # about a second per test


@dataclass(frozen=True)
class Entry:
    """One person's month as the ranking sees it; small value ranges so that ties are frequent."""

    username: str
    staff_no: str
    total: Decimal
    points: Decimal
    evaluations: int
    cases: int
    ranked: bool


# The scheme's fields: 3 decimal places between 0 and 1; the headcount is a PositiveSmallIntegerField.
SHARES = st.one_of(
    st.sampled_from([Decimal("0.10"), Decimal("0.05"), Decimal("0"), Decimal("1"), Decimal("0.5")]),
    st.integers(min_value=0, max_value=1000).map(lambda k: Decimal(k).scaleb(-3)),
)
POLICIES = st.one_of(
    st.just(DEFAULT_POLICY),
    st.builds(
        RankingPolicy,
        star_share=SHARES,
        bottom_share=SHARES,
        bottom_min_headcount=st.integers(0, 30),
        tie_rule=st.sampled_from(TieRule.values),
    ),
)
# The same total written with different exponents ("80" and "80.00") is the same score.
TOTALS = st.sampled_from(["100", "90", "90.00", "85.5", "80", "80.0", "0"]).map(Decimal)


@st.composite
def entries(draw: st.DrawFn) -> list[Entry]:
    count = draw(st.integers(min_value=0, max_value=30))
    return [
        Entry(
            username=f"u{i:02d}",
            staff_no=draw(st.sampled_from(["", "0001", "0002"])),  # staff numbers may be blank or shared
            total=draw(TOTALS),
            points=Decimal(draw(st.integers(0, 2))),
            evaluations=draw(st.integers(0, 2)),
            cases=draw(st.integers(0, 1)),
            ranked=draw(st.sampled_from([True, True, True, False])),  # mostly ranked
        )
        for i in range(count)
    ]


def to_rows(people: list[Entry]) -> list[RankRow]:
    return [
        RankRow(
            staff=User(username=p.username, staff_no=p.staff_no),
            total=p.total,
            evaluation_count=p.evaluations,
            cases_completed=p.cases,
            evaluation_points=p.points,
            ranked=p.ranked,
            not_ranked_reason="" if p.ranked else "too few evaluations",
            indicator_rows=[],
        )
        for p in people
    ]


def outcome(rows: list[RankRow]) -> dict[str, tuple[int | None, int | None, bool, bool]]:
    return {r.staff.username: (r.rank, r.position, r.is_star, r.is_bottom) for r in rows}


def display_key(row: RankRow, policy: RankingPolicy) -> tuple[tuple[Decimal, ...], str]:
    return tuple(-k for k in comparison_key(row, policy.tie_rule)), row.staff.username


@EXAMPLES
@given(n=st.integers(min_value=0, max_value=500), policy=POLICIES)
@example(n=0, policy=RankingPolicy(Decimal("0.10"), Decimal("0.05"), 0))  # no one ranked, no minimum
@example(n=12, policy=DEFAULT_POLICY)  # a small centre has its bottom place
def test_the_counts_are_the_shares_rounded_as_the_scheme_says(n: int, policy: RankingPolicy) -> None:
    stars, bottoms = star_count(n, policy), bottom_count(n, policy)
    exact_stars, exact_bottoms = Decimal(n) * policy.star_share, Decimal(n) * policy.bottom_share
    assert stars == math.ceil(exact_stars)  # rounded up
    assert bottoms <= n
    minimum = 1 if n and n >= policy.bottom_min_headcount else 0
    assert bottoms == max(minimum, math.floor(exact_bottoms))
    if policy == DEFAULT_POLICY:
        assert (bottoms > 0) == (n >= DEFAULT_POLICY.bottom_min_headcount)  # one bottom place from 10 ranked


@EXAMPLES
@given(people=entries(), policy=POLICIES)
def test_ranks_positions_stars_and_bottom_places_follow_the_rules(people: list[Entry], policy: RankingPolicy) -> None:
    rows = to_rows(people)
    rank_rows(rows, policy)

    unranked = [r for r in rows if not r.ranked]
    assert all((r.rank, r.position, r.is_star, r.is_bottom) == (None, None, False, False) for r in unranked)

    ranked = sorted((r for r in rows if r.ranked), key=lambda r: display_key(r, policy))
    n = len(ranked)
    assert [r.position for r in ranked] == list(range(1, n + 1))
    totals = [r.total if r.total is not None else Decimal(0) for r in ranked]  # every entry has a total
    for row, total in zip(ranked, totals, strict=True):
        assert row.rank == 1 + sum(1 for other in totals if other > total)  # competition ranks

    stars, bottoms = star_count(n, policy), bottom_count(n, policy)
    keys = [comparison_key(r, policy.tie_rule) for r in ranked]
    star_line = keys[stars - 1] if stars else None
    bottom_line = keys[n - bottoms] if bottoms else None
    for row, key in zip(ranked, keys, strict=True):
        assert row.is_star == (star_line is not None and key >= star_line)
        assert row.is_bottom == (bottom_line is not None and key <= bottom_line and not row.is_star)
    assert sum(r.is_star for r in ranked) >= stars  # a tie on the line adds places, never takes one
    assert not any(r.is_star and r.is_bottom for r in rows)
    if not any(
        r.is_star for r in ranked if bottom_line is not None and comparison_key(r, policy.tie_rule) <= bottom_line
    ):
        assert sum(r.is_bottom for r in ranked) >= bottoms  # bottom places are only fewer where stars take them


@EXAMPLES
@given(people=entries(), policy=POLICIES)
def test_equal_scores_get_equal_outcomes(people: list[Entry], policy: RankingPolicy) -> None:
    """Under "all tied" an equal total, under "indicators" an equal published key: same rank, same outcome."""
    rows = to_rows(people)
    rank_rows(rows, policy)
    ranked = [r for r in rows if r.ranked]
    for a in ranked:
        for b in ranked:
            if a.total == b.total:
                assert a.rank == b.rank
            if comparison_key(a, policy.tie_rule) == comparison_key(b, policy.tie_rule):
                assert (a.is_star, a.is_bottom) == (b.is_star, b.is_bottom)
            if policy.tie_rule == TieRule.ALL_TIED and a.total == b.total:
                assert (a.is_star, a.is_bottom) == (b.is_star, b.is_bottom)


@EXAMPLES
@given(people=entries(), policy=POLICIES, seed=st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_input_order_or_the_staff_numbers(
    people: list[Entry], policy: RankingPolicy, seed: random.Random
) -> None:
    rows = to_rows(people)
    rank_rows(rows, policy)
    shuffled = [Entry(**{**p.__dict__, "staff_no": seed.choice(["", "0001", "9999"])}) for p in people]
    seed.shuffle(shuffled)
    again = to_rows(shuffled)
    rank_rows(again, policy)
    assert outcome(again) == outcome(rows)


@EXAMPLES
@given(people=entries(), policy=POLICIES)
def test_every_tie_on_the_star_line_is_explained_and_under_all_tied_everyone_in_it_is_a_star(
    people: list[Entry], policy: RankingPolicy
) -> None:
    rows = to_rows(people)
    rank_rows(rows, policy)
    ranked = [r for r in rows if r.ranked]
    star, bottom = boundary_notes(ranked, [r.is_star for r in ranked], [r.is_bottom for r in ranked], policy)
    n = len(ranked)
    assert (star.places, bottom.places) == (star_count(n, policy), bottom_count(n, policy))
    assert (star.taken, bottom.taken) == (sum(r.is_star for r in ranked), sum(r.is_bottom for r in ranked))
    if star.tie_total is None:
        assert star.taken == star.places  # no tie on the line: exactly the places
        return
    tied = [r for r in ranked if r.total == star.tie_total]
    assert len(star.people) == len(tied) > star.tie_places
    if policy.tie_rule == TieRule.ALL_TIED:
        assert star.all_in
