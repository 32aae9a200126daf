"""Service-star scoring: schemes and inputs, the monthly run, ranking, lock, appeals and follow-ups.

The run reads every source with a handful of grouped aggregate queries (one per
source, `values("staff_id").annotate(...)`), never a Python loop over evaluation
or case rows; only the per-person × per-indicator arithmetic runs in Python.
The formulas and the ranking rules are written out in `rules` and `ranking`.
"""

from __future__ import annotations

from .appeals import score_appeal_decide, score_appeal_file
from .figures import collect_figures, window_staff_of
from .follow_ups import centre_head, follow_up_complete
from .ranking import (
    DEFAULT_POLICY,
    BoundaryNote,
    RankingPolicy,
    RankRow,
    bottom_count,
    boundary_notes,
    comparison_key,
    rank_rows,
    star_count,
)
from .refresh import scoring_month_refresh
from .rules import explain, indicator_score, metric_value, month_bounds, normalised
from .runs import (
    is_first_working_day_of_month,
    scoring_monthly_centres,
    scoring_run_lock,
    scoring_run_month,
    scoring_run_request,
)
from .schemes import manual_entry_record, scheme_errors, scheme_for, scheme_new_version, spot_check_record
from .talks import reminder_talk_record, training_enrolment_assign

__all__ = [
    "DEFAULT_POLICY",
    "BoundaryNote",
    "boundary_notes",
    "comparison_key",
    "reminder_talk_record",
    "training_enrolment_assign",
    "scoring_month_refresh",
    "RankRow",
    "RankingPolicy",
    "bottom_count",
    "centre_head",
    "collect_figures",
    "explain",
    "follow_up_complete",
    "indicator_score",
    "is_first_working_day_of_month",
    "manual_entry_record",
    "metric_value",
    "month_bounds",
    "normalised",
    "rank_rows",
    "scheme_errors",
    "scheme_for",
    "scheme_new_version",
    "score_appeal_decide",
    "score_appeal_file",
    "scoring_monthly_centres",
    "scoring_run_lock",
    "scoring_run_month",
    "scoring_run_request",
    "spot_check_record",
    "star_count",
    "window_staff_of",
]
