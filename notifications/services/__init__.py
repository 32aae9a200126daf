"""Writes for notifications: queue an SMS, cancel queued ones, tell a member of staff,
and the outbox machinery (claim, send, reap, receipts, templates).

Every other app sends through `sms_enqueue` / `sms_cancel` / `notice_send`.
The outbox rows are claimed by the beat task and sent by the worker (tasks.py),
never inside the caller's transaction.

Exactly-once, as far as it can be had: a message moves QUEUED → SENDING only
through a conditional UPDATE (whoever changes the row owns the attempt), the
send task hands over to the provider only after a second conditional UPDATE
on its own attempt number, and the reaper takes back a message whose worker
went silent. Both UPDATEs work on batches of rows and report exactly the rows
they changed (RETURNING). The only duplicate left is a worker dying after the provider
took the message but before the row said so: that case is counted
(`possible_duplicates`) and recorded.
"""

from __future__ import annotations

from ..wording import NoticeText, notice_text
from .dispatch import (
    ClaimResult,
    max_in_flight,
    send_batch_size,
    sms_claim_due,
    sms_dispatch,
    sms_dispatch_top_up,
    sms_in_flight,
)
from .notices import notice_mark_read, notice_send
from .outbox import (
    SEND_WINDOW,
    backoff,
    in_send_window,
    max_attempts,
    next_window_start,
    normalize_phone,
    sending_timeout,
    sms_cancel,
    sms_cancel_one,
    sms_enqueue,
    sms_opt_in,
    sms_opt_out,
    sms_opted_out,
    sms_requeue,
)
from .reaper import max_reaps, sms_reap_stuck
from .receipts import Receipt, sms_receipts_apply
from .send import SendResult, sms_send, sms_send_batch
from .templates import sms_template_current, sms_template_publish, template_check, template_missing_params

__all__ = [
    "SEND_WINDOW",
    "ClaimResult",
    "Receipt",
    "SendResult",
    "backoff",
    "in_send_window",
    "max_attempts",
    "max_in_flight",
    "max_reaps",
    "next_window_start",
    "normalize_phone",
    "notice_mark_read",
    "notice_send",
    "notice_text",
    "NoticeText",
    "send_batch_size",
    "sending_timeout",
    "sms_cancel",
    "sms_cancel_one",
    "sms_claim_due",
    "sms_dispatch",
    "sms_dispatch_top_up",
    "sms_enqueue",
    "sms_opt_in",
    "sms_opt_out",
    "sms_opted_out",
    "sms_in_flight",
    "sms_reap_stuck",
    "sms_requeue",
    "sms_receipts_apply",
    "sms_send",
    "sms_send_batch",
    "sms_template_current",
    "sms_template_publish",
    "template_check",
    "template_missing_params",
]
