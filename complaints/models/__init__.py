"""Citizen voices: channels, evaluations (好差评), complaints, the bad-review flow, escalations.

One module per part; every model is imported here, so Django finds them all in the
`complaints` app and other modules keep importing from `complaints.models`.
"""

from __future__ import annotations

from .bad_reviews import BadReview
from .channels import Channel, FeedbackPolicy
from .complaints import ActorKind, Complaint, ComplaintDayCount, ComplaintDeadlineRule, ComplaintEvent
from .escalations import DutySlot, DutySwap, Escalation, EscalationDepartment, EscalationEvent
from .evaluations import (
    BAD_REVIEW_LEVELS,
    Evaluation,
    EvaluationDayCount,
    EvaluationEvent,
    EvaluationInvitation,
    EvaluationLevel,
    EvaluationTag,
)
from .one_rating import OneRatingPolicy, Screening
from .reveals import TextAccess
from .work_orders import WorkOrder, WorkOrderEvent

__all__ = [
    "ActorKind",
    "OneRatingPolicy",
    "Screening",
    "BAD_REVIEW_LEVELS",
    "BadReview",
    "Channel",
    "Complaint",
    "ComplaintDayCount",
    "ComplaintDeadlineRule",
    "ComplaintEvent",
    "DutySlot",
    "DutySwap",
    "Escalation",
    "EscalationDepartment",
    "EscalationEvent",
    "Evaluation",
    "EvaluationDayCount",
    "EvaluationEvent",
    "EvaluationInvitation",
    "EvaluationLevel",
    "EvaluationTag",
    "FeedbackPolicy",
    "TextAccess",
    "WorkOrder",
    "WorkOrderEvent",
]
