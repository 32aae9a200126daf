"""Writes for evaluations (好差评), the bad-review flow and complaints.

Stable entry points for other apps (the `intake` channel API calls these):
`evaluation_submit`, `complaint_submit`, `evaluation_invite`. Each locks what it
changes, checks the rules, records a history row and enqueues follow-ups with
`transaction.on_commit`, so no SMS or webhook leaves for a rolled-back write.

Every status change of an evaluation's flow or a complaint sends
`complaints.signals.record_changed` after commit; the webhook side (intake) listens
to it and this app knows nothing of it.

The modules change for different reasons: `evaluations` (ratings and invitations),
`bad_reviews` (the handling flow of a bad rating), `complaints` (complaints and
suggestions), `common` (what they share). Import from this package.
"""

from __future__ import annotations

from .bad_reviews import (
    bad_review_callback,
    bad_review_contact,
    bad_review_decide_appeal,
    bad_review_reassign,
    bad_review_rectify,
    bad_review_verify,
    evaluation_follow_up,
)
from .common import (
    CATEGORY_KEYWORDS,
    _new_tracking_no,
    record_changed_after_commit,
    suggest_category,
)
from .complaints import (
    _complaint_move,
    complaint_assign,
    complaint_callback,
    complaint_classify,
    complaint_duplicates,
    complaint_merge,
    complaint_reply,
    complaint_submit,
    complaint_submit_once,
)
from .evaluations import (
    INVITATION_VALID_DAYS,
    evaluation_invitation_check,
    evaluation_invitation_mark_used,
    evaluation_invite,
    evaluation_submit,
    evaluation_submit_by_invitation,
    evaluation_submit_once,
)
from .reveal import can_reveal_text, feedback_text_reveal
from .verdicts import complaint_verdict_set
from .waiting import complaint_resume, complaint_wait_for_citizen
from .work_orders import work_order_attach, work_order_transition

__all__ = [
    "can_reveal_text",
    "feedback_text_reveal",
    "CATEGORY_KEYWORDS",
    "INVITATION_VALID_DAYS",
    "_complaint_move",
    "_new_tracking_no",
    "bad_review_callback",
    "bad_review_contact",
    "bad_review_decide_appeal",
    "bad_review_reassign",
    "bad_review_rectify",
    "bad_review_verify",
    "complaint_assign",
    "complaint_callback",
    "complaint_classify",
    "complaint_duplicates",
    "complaint_merge",
    "complaint_reply",
    "complaint_resume",
    "complaint_submit",
    "complaint_submit_once",
    "complaint_verdict_set",
    "complaint_wait_for_citizen",
    "evaluation_follow_up",
    "evaluation_invitation_check",
    "evaluation_invitation_mark_used",
    "evaluation_invite",
    "evaluation_submit",
    "evaluation_submit_by_invitation",
    "evaluation_submit_once",
    "record_changed_after_commit",
    "suggest_category",
    "work_order_attach",
    "work_order_transition",
]
