"""Service cases (办件) with first-inquiry responsibility and acceptance with deficiencies.

A package split by what changes together; every model is importable from `cases.models` as before.
"""

from __future__ import annotations

from .case import CLOSED_STATUSES, Case, CaseDayCount, CaseEvent, DeadlineWarning, RejectReason, TrackingCounter
from .catalogue import Material, MatterType
from .deficiencies import ApplicantRecord, CaseMaterial, Commitment, ReminderCall
from .handling import Assistance, AssistanceLog, Handover, PiiAccess
from .rating import RATING_LINK_VALID_DAYS, RatingLink, rating_token_hash

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
    "RATING_LINK_VALID_DAYS",
    "RatingLink",
    "RejectReason",
    "ReminderCall",
    "TrackingCounter",
    "rating_token_hash",
]
