"""Service cases (办件) with first-inquiry responsibility and acceptance with deficiencies.

A package split by what changes together; every model is importable from `cases.models` as before.
"""

from __future__ import annotations

from .case import CLOSED_STATUSES, Case, CaseDayCount, CaseEvent, DeadlineWarning, RejectReason, TrackingCounter
from .catalogue import Material, MatterType
from .deficiencies import ApplicantRecord, CaseMaterial, Commitment, ReminderCall
from .handling import Assistance, AssistanceLog, Handover, PiiAccess

__all__ = [
    "ApplicantRecord",
    "Assistance",
    "AssistanceLog",
    "CLOSED_STATUSES",
    "Case",
    "CaseDayCount",
    "CaseEvent",
    "CaseMaterial",
    "Commitment",
    "DeadlineWarning",
    "Handover",
    "Material",
    "MatterType",
    "PiiAccess",
    "RejectReason",
    "ReminderCall",
    "TrackingCounter",
]
