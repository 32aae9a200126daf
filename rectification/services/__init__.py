"""Writes for the ledger (整改台账): problems, measures, progress, evidence, close-out (销号).

Every status move goes through `problem_transition`; every edit records a
ProblemEvent with its actor. Notices and SMS leave only after the commit.
The modules split what changes together; the names stay importable from here.
"""

from __future__ import annotations

from ._shared import Status, can_manage_problem
from .board import commitment_publish, commitment_withdraw
from .checks import NEAR_DUE_WORKING_DAYS, measures_flag_due, problems_recheck_due
from .evidence import EVIDENCE_MAX_BYTES, EVIDENCE_TYPES, evidence_check, evidence_store
from .imports import (
    ledger_import,
    ledger_import_apply_process,
    ledger_import_confirm,
    ledger_import_create,
    ledger_import_files_purge,
    ledger_import_preview,
    ledger_import_process,
)
from .measures import MEASURE_EDITABLE, measure_add, measure_take_over, measure_update, progress_update_add
from .problems import (
    CODE_PREFIX,
    PROBLEM_EDITABLE,
    RECHECK_DAYS,
    problem_create,
    problem_deadline,
    problem_recheck_confirm,
    problem_transition,
    problem_update,
)
from .recurrence import problems_flag_recurrence, recurrence_confirm, recurrence_dismiss

__all__ = [
    "CODE_PREFIX",
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_TYPES",
    "MEASURE_EDITABLE",
    "NEAR_DUE_WORKING_DAYS",
    "PROBLEM_EDITABLE",
    "RECHECK_DAYS",
    "Status",
    "can_manage_problem",
    "commitment_publish",
    "commitment_withdraw",
    "evidence_check",
    "evidence_store",
    "ledger_import",
    "ledger_import_apply_process",
    "ledger_import_confirm",
    "ledger_import_create",
    "ledger_import_preview",
    "ledger_import_files_purge",
    "ledger_import_process",
    "measure_add",
    "measure_take_over",
    "measure_update",
    "measures_flag_due",
    "problem_create",
    "problem_deadline",
    "problem_recheck_confirm",
    "problem_transition",
    "problem_update",
    "problems_flag_recurrence",
    "problems_recheck_due",
    "progress_update_add",
    "recurrence_confirm",
    "recurrence_dismiss",
]
