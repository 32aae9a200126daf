"""The ranking rules that mutation testing found unpinned (docs/mutation.md): the later tie-breaks, unranked rows,
a month so small that the one star would also be the bottom place."""

from __future__ import annotations

from decimal import Decimal

from development.models import TieRule
from development.scoring import DEFAULT_POLICY, RankingPolicy, RankRow, bottom_count, rank_rows, star_count
from tests.factories.staff import UserFactory


def _row(
    username: str,
    total: int = 50,
    *,
    staff_no: str | None = "0001",
    ranked: bool = True,
    evaluation_count: int = 10,
    cases_completed: int = 0,
    evaluation_points: Decimal = Decimal(0),
) -> RankRow:
    return RankRow(
        staff=UserFactory.build(username=username, staff_no=staff_no),
        total=Decimal(total),
        ranked=ranked,
        not_ranked_reason="" if ranked else "本月未满勤",
        indicator_rows=[],
        evaluation_count=evaluation_count,
        cases_completed=cases_completed,
        evaluation_points=evaluation_points,
    )


def _order(rows: list[RankRow]) -> list[str]:
    return [r.staff.username for r in sorted((r for r in rows if r.ranked), key=lambda r: r.position or 0)]


BY_INDICATORS = RankingPolicy(Decimal("0.5"), Decimal("0"), 0, TieRule.INDICATORS)


def test_equal_totals_points_and_counts_fall_back_to_more_completed_cases():
    rows = [_row("few", cases_completed=3), _row("many", cases_completed=9)]
    rank_rows(rows, BY_INDICATORS)
    assert _order(rows) == ["many", "few"]
    assert [r.rank for r in rows] == [1, 1]
    assert [r.is_star for r in rows] == [False, True]


def test_more_evaluation_points_come_before_more_evaluations():
    rows = [_row("counts", evaluation_count=20), _row("points", evaluation_points=Decimal(5))]
    rank_rows(rows, BY_INDICATORS)
    assert _order(rows) == ["points", "counts"]
    assert [r.is_star for r in rows] == [False, True]


def test_all_tied_share_the_star_whatever_the_indicators_under_the_default_rule():
    rows = [_row("few", cases_completed=3), _row("many", cases_completed=9, evaluation_points=Decimal(5))]
    rank_rows(rows, RankingPolicy(Decimal("0.5"), Decimal("0"), 0))
    assert [r.is_star for r in rows] == [True, True]


def test_the_staff_number_plays_no_part_only_the_username_orders_the_display():
    rows = [_row("b", staff_no="0007"), _row("a", staff_no="0001"), _row("none", staff_no=None)]
    rank_rows(rows, DEFAULT_POLICY)
    assert _order(rows) == ["a", "b", "none"]
    assert len({(r.rank, r.is_star, r.is_bottom) for r in rows}) == 1


def test_a_rank_after_a_three_way_tie_skips_the_shared_places():
    rows = [_row(f"u{i}", total, staff_no=f"{i:04d}") for i, total in enumerate([100, 90, 90, 90, 80])]
    rank_rows(rows)
    assert [r.rank for r in rows] == [1, 2, 2, 2, 5]
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]


def test_an_unranked_row_gets_no_rank_position_star_or_bottom_place():
    policy = RankingPolicy(star_share=Decimal("0.5"), bottom_share=Decimal("0.5"), bottom_min_headcount=1)
    rows = [_row("away", 99, ranked=False), _row("a", 60), _row("b", 40)]
    rank_rows(rows, policy)
    away = rows[0]
    assert (away.rank, away.position, away.is_star, away.is_bottom) == (None, None, False, False)
    assert [(r.rank, r.is_star, r.is_bottom) for r in rows[1:]] == [(1, True, False), (2, False, True)]


def test_the_only_star_of_a_tiny_month_is_not_also_its_bottom_place():
    policy = RankingPolicy(star_share=Decimal("0.10"), bottom_share=Decimal("0.05"), bottom_min_headcount=1)
    assert (star_count(1, policy), bottom_count(1, policy)) == (1, 1)
    rows = [_row("alone")]
    rank_rows(rows, policy)
    assert rows[0].is_star and not rows[0].is_bottom


def test_no_bottom_place_below_the_minimum_headcount_and_none_in_an_empty_month():
    policy = RankingPolicy(star_share=Decimal("0.10"), bottom_share=Decimal("0.5"), bottom_min_headcount=5)
    assert bottom_count(4, policy) == 2  # the share alone still counts below the minimum
    assert bottom_count(1, policy) == 0
    assert star_count(0, policy) == 0
    rank_rows([], policy)
