"""Staff screens for feedback. Thin: read through selectors, write through services.

One module per screen family; urls.py and anything else import the views from here.
"""

from __future__ import annotations

from .classify import classify_apply, classify_confirm, classify_queue
from .complaints import complaint_action, complaint_detail, complaint_list
from .escalations import (
    duty_rota,
    escalation_action,
    escalation_detail,
    escalation_list,
    escalation_new,
    escalation_report,
)
from .evaluations import bad_review_action, bad_review_detail, bad_review_list, evaluation_list
from .overview import overview, report
from .reveal import bad_review_reveal, complaint_reveal, escalation_reveal
from .windows import window_qr_list, window_qr_print, window_qr_svg
from .work_orders import work_order_step

__all__ = [
    "bad_review_action",
    "bad_review_detail",
    "bad_review_list",
    "bad_review_reveal",
    "classify_apply",
    "classify_confirm",
    "classify_queue",
    "complaint_action",
    "complaint_detail",
    "complaint_list",
    "complaint_reveal",
    "duty_rota",
    "escalation_action",
    "escalation_detail",
    "escalation_list",
    "escalation_new",
    "escalation_report",
    "escalation_reveal",
    "evaluation_list",
    "overview",
    "report",
    "window_qr_list",
    "window_qr_print",
    "window_qr_svg",
    "work_order_step",
]
