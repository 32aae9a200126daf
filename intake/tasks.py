"""Celery tasks of the intake app. Each takes ids, claims its work, and is safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .idempotency import idempotency_purge
from .models import WebhookDelivery
from .services import webhook_delivery_attempt


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> None:
    retry = webhook_delivery_attempt(delivery_id=delivery_id)
    if retry is not None:
        countdown = max(0, int((retry.next_attempt_at - timezone.now()).total_seconds()))
        webhook_deliver.apply_async((delivery_id,), countdown=countdown)


@shared_task
def webhook_deliver_due() -> int:
    """Safety net: re-queue due deliveries whose message was lost (worker crash, broker wipe)."""
    stale = timezone.now() - timedelta(minutes=10)
    # A delivery stuck in "sending" for 10 minutes lost its worker: put it back.
    WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENDING, next_attempt_at__lt=stale).update(
        status=WebhookDelivery.Status.PENDING
    )
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        webhook_deliver.delay(pk)
    return len(due)


@shared_task
def idempotency_keys_purge() -> int:
    return idempotency_purge()


# On the "imports" queue (CELERY_TASK_ROUTES). Past the soft limit the batch fails with a message;
# past the hard limit the worker kills it and the hourly purge fails the batch and deletes its file.
@shared_task(
    acks_late=True,
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def import_batch_run(batch_id: int) -> None:
    from .importing import import_batch_process

    import_batch_process(batch_id=batch_id)


@shared_task
def import_files_purge_task() -> int:
    from .importing import import_files_purge

    return import_files_purge()


@shared_task(acks_late=True)
def platform_send(platform: str) -> int:
    """Send one platform's due messages (after a commit that queued one, and from the beat)."""
    from .platforms.outbox import platform_send_pending

    return platform_send_pending(platform=platform)


@shared_task
def platform_send_due() -> int:
    """Every minute: put back messages whose worker died, then send every platform's due messages."""
    from .platforms.outbox import platform_messages_reap, platforms_with_due_messages
    from .platforms.registry import platform_codes

    platform_messages_reap()
    due = [code for code in platforms_with_due_messages() if code in platform_codes()]
    for code in due:
        platform_send.delay(code)
    return len(due)
