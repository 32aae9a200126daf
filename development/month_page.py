"""What the leader's month page shows besides the table: the scheme version's ranking rules, worked out
for the month (the star and bottom places), and each decision at a line that fell inside a tie."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import ScoringRun, StaffMonthScore, TieRule
from .scoring import BoundaryNote, RankingPolicy, boundary_notes


@dataclass(frozen=True)
class MonthRules:
    tie_rule: str
    tie_rule_label: str
    star_formula: str
    bottom_formula: str
    notes: list[BoundaryNote]


def _percent(share: Decimal) -> str:
    return f"{(share * 100).normalize():f}%"


def month_rules(run: ScoringRun, scores: list[StaffMonthScore]) -> MonthRules | None:
    if run.scheme is None:
        return None
    policy = RankingPolicy.of(run.scheme)
    ranked = [s for s in scores if s.ranked and s.total is not None]
    n = len(ranked)
    notes = boundary_notes(ranked, [s.is_star for s in ranked], [s.is_bottom for s in ranked], policy)
    minimum = 1 if n and n >= policy.bottom_min_headcount else 0
    star_formula = _("服务之星名额 = ⌈%(share)s × %(n)d⌉ = %(places)d") % {
        "share": _percent(policy.star_share),
        "n": n,
        "places": math.ceil(Decimal(n) * policy.star_share) if n else 0,
    }
    bottom_formula = _(
        "末位名额 = max(%(min)d, ⌊%(share)s × %(n)d⌋) = %(places)d（参与排名满 %(head)d 人至少一名末位）"
    ) % {
        "min": minimum,
        "share": _percent(policy.bottom_share),
        "n": n,
        "places": notes[1].places,
        "head": policy.bottom_min_headcount,
    }
    return MonthRules(
        tie_rule=policy.tie_rule,
        tie_rule_label=str(TieRule(policy.tie_rule).label),
        star_formula=star_formula,
        bottom_formula=bottom_formula,
        notes=notes,
    )
