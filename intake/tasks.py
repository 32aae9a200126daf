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
