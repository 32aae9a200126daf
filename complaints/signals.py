"""News this app sends upward, to apps that come after it (intake); it never imports them.

`record_changed` is sent after the transaction commits, whenever the status a channel can
follow changed: a complaint was received or moved, or an evaluation's handling moved (its
bad review opened or stepped on, a follow-up rating arrived).

    sender:   the model class of the changed row (`Complaint` or `Evaluation`)
    instance: the changed row, as the service left it

Receivers run after the commit, inside the caller's request or task: they must not raise
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

# A 12345 work order took a step (complaints/services/work_orders.py): its arrival, a step by staff or a
# leader, or the hotline's callback. Sent INSIDE the step's transaction, right after its history row, so a
# receiver can queue the hotline's send-back in the same transaction (the outbox row commits with the
# step or not at all). A receiver writes rows only, never does network I/O; if it raises, the step is
# rolled back and the caller sees the error.
#     sender: `WorkOrder`; work_order: the order as the step left it; event: its `WorkOrderEvent`.
work_order_changed = Signal()
