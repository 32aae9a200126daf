"""Writes for service cases. Every state change goes through `case_transition`.

Each service locks the case row, checks the rule, records a CaseEvent and
queues side effects (SMS outbox rows are written in the same transaction — the
outbox is the point — and in-app notices are sent after commit).

By concern: `transitions` (the state machine, logging and accepting a case), `deficient`
(容缺受理: commitment, materials handed in later, extension, expiry), `reminders` (SMS and calls
before a correction deadline, clock warnings, stalls), `handovers` (首问负责制), `people` (full
personal data, assisted handling); `_common` holds what they share. Import from `cases.services`.
"""

from __future__ import annotations

from ._common import (
    NOT_MY_BUSINESS,
    PHONE_RE,
    applicant_validate,
    case_clock,
    tracking_number_allocate,
)
from .citizen import (
    TEMPLATE_COMPLETED,
    TEMPLATE_TERMINATED,
    case_completed_notify,
    case_terminated_notify,
    rating_link_consume,
    rating_link_mark_used,
)
from .deficient import (
    applicant_has_bad_record,
    case_accept_with_deficiencies,
    case_correction_expire,
    case_correction_extend,
    case_material_receive,
)
from .handover_reminders import handover_remind
from .handovers import (
    case_handover_offer,
    case_handover_redirect,
    case_handover_respond,
    case_handover_withdraw,
    case_reassign,
)
from .people import (
    COMMITMENT_PRINT,
    assistance_assign,
    assistance_log_add,
    assistance_rate,
    can_see_full_pii,
    case_commitment_print,
    case_pii_reveal,
)
from .reminders import (
    REMINDER_TEMPLATE,
    REMINDER_TIME,
    SMS_EARLIEST,
    SMS_LATEST,
    STALL_WORKING_DAYS,
    WARNING_PERCENTS,
    case_clock_warn,
    case_stall_check,
    daytime,
    reminder_call_record,
    reminder_key,
    reminders_plan,
)
from .transitions import CLOCK_ON_ENTER, case_accept, case_create, case_materials_update, case_transition

__all__ = [
    "CLOCK_ON_ENTER",
    "COMMITMENT_PRINT",
    "NOT_MY_BUSINESS",
    "PHONE_RE",
    "REMINDER_TEMPLATE",
    "REMINDER_TIME",
    "SMS_EARLIEST",
    "SMS_LATEST",
    "STALL_WORKING_DAYS",
    "TEMPLATE_COMPLETED",
    "TEMPLATE_TERMINATED",
    "WARNING_PERCENTS",
    "applicant_has_bad_record",
    "applicant_validate",
    "assistance_assign",
    "assistance_log_add",
    "assistance_rate",
    "can_see_full_pii",
    "case_accept",
    "case_accept_with_deficiencies",
    "case_clock",
    "case_clock_warn",
    "case_commitment_print",
    "case_completed_notify",
    "case_correction_expire",
    "case_correction_extend",
    "case_create",
    "case_handover_offer",
    "case_handover_redirect",
    "case_handover_respond",
    "case_handover_withdraw",
    "case_material_receive",
    "case_materials_update",
    "case_pii_reveal",
    "case_reassign",
    "case_stall_check",
    "case_terminated_notify",
    "case_transition",
    "daytime",
    "handover_remind",
    "rating_link_consume",
    "rating_link_mark_used",
    "reminder_call_record",
    "reminder_key",
    "reminders_plan",
    "tracking_number_allocate",
]
