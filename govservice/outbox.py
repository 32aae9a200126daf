"""A transactional outbox: work that need not answer the caller, done after the response.

A service writes `outbox_enqueue(topic=..., payload=...)` inside its own transaction: one INSERT, no
network, and the message exists exactly when the write it belongs to committed. After the commit the
web process nudges a drain (a Celery task) at most once per OUTBOX_NUDGE_MS, delayed by as much, so
that one publish carries every message of that moment instead of one publish per request; beat drains
every minute too (a lost nudge, Redis down). The drain claims a batch (FOR UPDATE SKIP LOCKED: two
drains never take the same message), commits the claim, runs each message's handler outside any
transaction (handlers may publish or write in their own) and deletes what was done. A failed handler
leaves its message for the next drain, up to MAX_ATTEMPTS, then it is logged and dropped; a claim older
than CLAIM_SECONDS (its drain died) is taken again. Handlers are therefore idempotent, or say why not.

Topics are registered by the app that owns them (`outbox_register` in `AppConfig.ready()`), so this core
module imports no app: the hook-registry rule of the house style.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, Handler] = {}
MAX_ATTEMPTS = 5
CLAIM_SECONDS = 300
BATCH = 500

_nudge_lock = threading.Lock()
_next_nudge_at = 0.0  # monotonic time before which this process does not nudge again


def outbox_register(topic: str, handler: Handler) -> None:
    _handlers[topic] = handler


def outbox_enqueue(*, topic: str, payload: dict[str, Any]) -> None:
    """Add a message to the caller's transaction (autocommit: written at once) and nudge a drain after it."""
    OutboxMessage.objects.create(topic=topic, payload=payload)
    transaction.on_commit(_nudge)


def _nudge() -> None:
    global _next_nudge_at
    from .tasks import outbox_drain_task

    seconds = settings.OUTBOX_NUDGE_MS / 1000
    if seconds <= 0 or outbox_drain_task.app.conf.task_always_eager:  # eager (tests): drain now, every time
        _publish(outbox_drain_task, countdown=None)
        return
    now = time.monotonic()
    with _nudge_lock:
        if now < _next_nudge_at:
            return  # a drain is already due after this message's commit: it will see it
        _next_nudge_at = now + seconds
    _publish(outbox_drain_task, countdown=seconds)


def _publish(task: Any, *, countdown: float | None) -> None:
    try:
        if countdown is None:
            task.delay()
        else:
            # Bounded whatever OUTBOX_NUDGE_MS says: a countdown lives in the broker (tests/proof/test_static.py).
            task.apply_async(countdown=min(countdown, 300))
    except Exception:  # the write is committed; beat's drain picks the message up
        logger.warning("outbox: could not nudge a drain; beat will drain", exc_info=True)


def _claim(limit: int) -> list[OutboxMessage]:
    now = timezone.now()
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        OutboxMessage.objects.filter(id__in=ids).update(claimed_at=now)
    return list(OutboxMessage.objects.filter(id__in=ids).order_by("id"))


def outbox_drain(*, limit: int = BATCH) -> int:
    """Run the handlers of up to `limit` waiting messages; returns how many were done (or given up)."""
    done: list[int] = []
    retry: list[int] = []
    for message in _claim(limit):
        handler = _handlers.get(message.topic)
        try:
            if handler is None:
                raise LookupError(f"no outbox handler for {message.topic!r}")
            handler(message.payload)
        except Exception:
            if message.attempts + 1 >= MAX_ATTEMPTS:
                logger.exception("outbox: %s gave up after %s attempts", message, message.attempts + 1)
                done.append(message.pk)
            else:
                logger.warning("outbox: %s failed, will retry", message, exc_info=True)
                retry.append(message.pk)
        else:
            done.append(message.pk)
    if done:
        OutboxMessage.objects.filter(id__in=done).delete()
    if retry:
        from django.db.models import F

        OutboxMessage.objects.filter(id__in=retry).update(claimed_at=None, attempts=F("attempts") + 1)
    return len(done)


def outbox_drain_all(*, max_batches: int = 20) -> int:
    total = 0
    for _ in range(max_batches):
        n = outbox_drain()
        total += n
        if n < BATCH:
            break
    return total


# --- the Celery-task topic: a task published after the response, from the drain -------------------------


def outbox_enqueue_task(task_name: str, *args: Any) -> None:
    """`task.delay(*args)` after the caller's transaction committed, published by the drain, not the request."""
    outbox_enqueue(topic="celery.task", payload={"task": task_name, "args": list(args)})


def outbox_run_task(payload: dict[str, Any]) -> None:
    """Publish the task a message names (`task`, `args`); for handlers of other topics too."""
    from celery import current_app

    # The registered task, not send_task(): its own options apply, and CELERY_TASK_ALWAYS_EAGER runs it here.
    # A process that has not loaded the task's module yet (autodiscovery is lazy) loads it by its name.
    name = payload["task"]
    if name not in current_app.tasks:
        import_module(name.rpartition(".")[0])
    current_app.tasks[name].delay(*payload["args"])


outbox_register("celery.task", outbox_run_task)
