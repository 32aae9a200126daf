"""The service-star ranking holds its rules for any month's scores and any scheme policy.

The rules, as `development/scoring/ranking.py` defines them (and practice.md §5 suggests: "star = top
10 % (round up); bottom 5 % (round down, but at least 1 person once headcount ≥ 20); ties share the rank"):

- Only the ranked rows (enough valid evaluations) take part; the others get no rank, no position,
  no star and no bottom place.
- Rank: competition style ("1, 2, 2, 4"): one more than the number of ranked rows with a strictly
  higher total. Equal totals always share a rank.
- Position: 1..n in the tie-break order: higher total, then more citizen-evaluation points, more
  valid evaluations, more completed cases, then staff number and username (unique), so the order,
  and everything decided by it, does not depend on the order the rows came in.
- Stars: exactly ceil(n × star_share) rows, the first positions. The star line is *not* extended to
  everyone tied on total with the last star: DOMAIN.md's "top 10 %" is a count, and a tie on the
  total is settled by the tie-break order (see test_ties_share_a_rank_and_the_tie_break_rule_
  decides_the_star_place in test_scoring.py). So equal totals get equal ranks, while equal
  star or bottom status is guaranteed only within the same tie-break key.
- Bottom places: the last floor(n × bottom_share) positions, raised to one once n reaches the
  minimum headcount (the scheme's help text: "按比例不足一人也列一名末位"); below the minimum
  headcount the share alone decides, so with the default policy (5 %, 20) nobody under 20 ranked
  is bottom. A star is never a bottom place: where the two would overlap, the star stays and the
  bottom places are fewer.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from development.scoring import DEFAULT_POLICY, RankingPolicy, RankRow, bottom_count, rank_rows, star_count
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
    st.builds(RankingPolicy, star_share=SHARES, bottom_share=SHARES, bottom_min_headcount=st.integers(0, 30)),
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


def tie_break_key(row: RankRow) -> tuple[Decimal, Decimal, int, int, str, str]:
    return (
        -row.total,
        -row.evaluation_points,
        -row.evaluation_count,
        -row.cases_completed,
        row.staff.staff_no or "",
        row.staff.username,
    )


@EXAMPLES
@given(n=st.integers(min_value=0, max_value=500), policy=POLICIES)
@example(n=0, policy=RankingPolicy(Decimal("0.10"), Decimal("0.05"), 0))  # no one ranked, no minimum
def test_the_counts_are_the_shares_rounded_as_the_scheme_says(n: int, policy: RankingPolicy) -> None:
    stars, bottoms = star_count(n, policy), bottom_count(n, policy)
    exact_stars, exact_bottoms = Decimal(n) * policy.star_share, Decimal(n) * policy.bottom_share
    assert stars == math.ceil(exact_stars)  # rounded up
    assert bottoms <= n
    if n < policy.bottom_min_headcount or n == 0:
        assert bottoms == math.floor(exact_bottoms)  # rounded down, never raised to one
    else:
        assert bottoms == max(1, math.floor(exact_bottoms))
    if policy == DEFAULT_POLICY:
        assert (bottoms > 0) == (n >= DEFAULT_POLICY.bottom_min_headcount)  # nobody bottom under 20


@EXAMPLES
@given(people=entries(), policy=POLICIES)
def test_ranks_positions_stars_and_bottom_places_follow_the_rules(people: list[Entry], policy: RankingPolicy) -> None:
    rows = to_rows(people)
    rank_rows(rows, policy)

    unranked = [r for r in rows if not r.ranked]
    assert all((r.rank, r.position, r.is_star, r.is_bottom) == (None, None, False, False) for r in unranked)

    ranked = sorted((r for r in rows if r.ranked), key=tie_break_key)
    n = len(ranked)
    assert [r.position for r in ranked] == list(range(1, n + 1))
    for row in ranked:
        assert row.rank == 1 + sum(1 for other in ranked if other.total > row.total)  # competition ranks
    for a in ranked:
        for b in ranked:
            if a.total == b.total:
                assert a.rank == b.rank

    stars = star_count(n, policy)
    bottoms = bottom_count(n, policy)
    assert [r.is_star for r in ranked] == [i < stars for i in range(n)]
    assert [r.is_bottom for r in ranked] == [i >= n - bottoms and i >= stars for i in range(n)]
    assert not any(r.is_star and r.is_bottom for r in rows)
    if n < policy.bottom_min_headcount and Decimal(n) * policy.bottom_share < 1:
        assert not any(r.is_bottom for r in rows)  # below the minimum headcount the share gives no one


@EXAMPLES
@given(people=entries(), policy=POLICIES)
def test_a_tie_on_the_total_shares_the_rank_and_the_tie_break_order_cuts_the_star_and_bottom_lines(
    people: list[Entry], policy: RankingPolicy
) -> None:
    """Where the star or bottom line falls inside a tie, the tie-break order alone decides who is in."""
    rows = to_rows(people)
    rank_rows(rows, policy)
    ranked = [r for r in rows if r.ranked]
    for a in ranked:
        for b in ranked:
            if a.total != b.total:
                continue
            assert a.rank == b.rank
            assert a.position is not None and b.position is not None
            if a.is_star and not b.is_star:
                assert a.position < b.position and tie_break_key(a) < tie_break_key(b)
            if a.is_bottom and not b.is_bottom and not b.is_star:
                assert a.position > b.position


@EXAMPLES
@given(people=entries(), policy=POLICIES, seed=st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_input_order(
    people: list[Entry], policy: RankingPolicy, seed: random.Random
) -> None:
    rows = to_rows(people)
    rank_rows(rows, policy)
    shuffled = list(people)
    seed.shuffle(shuffled)
    again = to_rows(shuffled)
    rank_rows(again, policy)
    assert outcome(again) == outcome(rows)
