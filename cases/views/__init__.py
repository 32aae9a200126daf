"""HTML screens for cases. Thin: they call the same services and selectors as the API.

A package split by what changes together (pages that show, actions that change, the citizen's lookup);
every view is importable from `cases.views` as before.
"""

from __future__ import annotations

from .actions import (
    case_accept,
    case_assign_helper,
    case_assist_log,
    case_assist_rate,
    case_call_outcome,
    case_extend,
    case_handover_offer,
    case_handover_respond,
    case_material_received,
    case_reveal,
    case_transition,
)
from .counter import case_commitment_print, case_new
from .pages import (
    assistance_overview,
    call_list,
    case_commitment,
    case_correction_list,
    case_detail,
    case_list,
)
from .public import LOOKUP_LIMIT, LOOKUP_WINDOW, progress_lookup

__all__ = [
    "LOOKUP_LIMIT",
    "LOOKUP_WINDOW",
    "assistance_overview",
    "call_list",
    "case_accept",
    "case_assign_helper",
    "case_assist_log",
    "case_assist_rate",
    "case_call_outcome",
    "case_commitment",
    "case_commitment_print",
    "case_correction_list",
    "case_detail",
    "case_extend",
    "case_handover_offer",
    "case_handover_respond",
    "case_list",
    "case_material_received",
    "case_new",
    "case_reveal",
    "case_transition",
    "progress_lookup",
]
