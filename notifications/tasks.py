"""Celery tasks for the SMS outbox. Each takes ids, calls one service, and is safe to run twice.

No task is scheduled with a countdown or ETA: a retry's back-off lives in the
row's send_after and the next dispatcher run picks it up, so a broker restart
loses nothing.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import services

# Send tasks: only a database hiccup retries the task itself, with at most a minute's delay.
SEND_TASK_OPTIONS = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 5,
    "retry_backoff_max": 60,
    "max_retries": 3,
}


@shared_task(acks_late=True, ignore_result=True)
def sms_dispatch_task() -> dict[str, int]:
    """Every minute: claim the due messages, batch after batch, and hand each batch to a send task (after commit)."""
    result = services.sms_dispatch()
    return {"claimed": len(result.claimed), "deferred": len(result.deferred)}


@shared_task(**SEND_TASK_OPTIONS)
def sms_send_batch_task(message_ids: list[int]) -> dict[str, int]:
    """Send a batch of claimed messages. A second run finds them no longer its own and does nothing.

    Provider errors are not retried here but through the outbox (back-off in
    send_after, up to SMS_MAX_ATTEMPTS); only a database hiccup retries the
    task itself, with at most a minute's delay. A full batch hints at a
    backlog: the task then claims the next batch itself, so the queue keeps
    moving at the worker's pace between two beat runs.
    """
    result = services.sms_send_batch(message_ids=message_ids)
    if len(message_ids) >= services.send_batch_size():
        services.sms_dispatch_top_up()
    return result.counts()


@shared_task(**SEND_TASK_OPTIONS)
def sms_send_task(message_id: int) -> str:
    """Send one claimed message (tasks queued before batches existed still arrive under this name)."""
    message = services.sms_send(message_id=message_id)
    return message.status if message else "skipped"


@shared_task(acks_late=True, ignore_result=True)
def sms_reap_task() -> int:
    """Every few minutes: take back messages stuck in SENDING (their worker died) as recorded retries."""
    return len(services.sms_reap_stuck())
