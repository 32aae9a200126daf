"""News this app sends upward, to apps that come after it (intake); it never imports them.

`record_changed` is sent after the transaction commits, whenever the status a channel can
follow changed: a complaint was received or moved, or an evaluation's handling moved (its
bad review opened or stepped on, a follow-up rating arrived).

    sender:     the model class of the changed row (`Complaint` or `Evaluation`)
    instance:   the changed row, as read when the signal is sent
    changed_at: when the change was committed (the signal is sent after the response, by the
                outbox's drain: govservice/outbox.py)
    status:     a complaint's status after that change (None for an evaluation)

Receivers run after the commit, in the outbox's drain (a Celery worker): they must not raise
(the write is saved already; a raise would only turn it into an error page) and should
queue slow work instead of doing it there.
"""

from __future__ import annotations

from django.dispatch import Signal

record_changed = Signal()

# A complaint's verdict (核实结论) was set or changed; sent after commit.
#     sender: `Complaint`; instance: the complaint as the service left it; old_verdict: the verdict before.
# Development re-computes a not yet locked service-star month (a verdict gives points back or takes them).
complaint_verdict_changed = Signal()

# An evaluation was recorded, or a bad review's disposition took a step. Sent INSIDE the writing transaction
# (unlike `record_changed`), so that what a receiver writes (intake's outbox row for the provincial 好差评
# platform) commits or rolls back with the change itself. A receiver writes rows only: no network I/O.
#     sender:   `Evaluation` or `BadReview`
#     instance: the evaluation (a new rating or a follow-up rating) or the bad review, as saved
#     step:     "evaluated" | "contacted" | "verified" | "rectified" | "called_back" | "appeal_decided"
feedback_reported = Signal()

# A 12345 work order took a step (complaints/services/work_orders.py): its arrival, a step by staff or a
# leader, or the hotline's callback. Sent INSIDE the step's transaction, right after its history row, so a
# receiver can queue the hotline's send-back in the same transaction (the outbox row commits with the
# step or not at all). A receiver writes rows only, never does network I/O; if it raises, the step is
# rolled back and the caller sees the error.
#     sender: `WorkOrder`; work_order: the order as the step left it; event: its `WorkOrderEvent`.
work_order_changed = Signal()
