"""Writes of the intake app: channel keys, webhook subscriptions, feed entries and deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import BAD_REVIEW_LEVELS, Channel, Complaint, Evaluation
from govservice import outbound
from govservice.exceptions import NotFound, ValidationFailed

from .auth import channel_key_cache_invalidate
from .models import ChannelKey, FeedEntry, WebhookDelivery, WebhookSubscription, hash_key

logger = logging.getLogger(__name__)

WEBHOOK_CONNECT_TIMEOUT_SECONDS = 5
WEBHOOK_TIMEOUT_SECONDS = 10  # reading the answer
WEBHOOK_MAX_ATTEMPTS = 8
WEBHOOK_MAX_BACKOFF_SECONDS = 300  # never park a delivery longer than 5 minutes between tries
SIGNATURE_HEADER = "X-Govservice-Signature"


@dataclass(frozen=True)
class IssuedKey:
    key: ChannelKey
    raw_key: str  # shown once, never stored


@transaction.atomic
def channel_key_create(
    *, channel: Channel, label: str = "", created_by: Any = None, requests_per_minute: int | None = None
) -> IssuedKey:
    prefix, raw = ChannelKey.generate()
    key = ChannelKey.objects.create(
        channel=channel,
        label=label,
        prefix=prefix,
        key_hash=hash_key(raw),
        created_by=created_by,
        requests_per_minute=requests_per_minute,
    )
    logger.info("channel key %s… created for channel %s", prefix, channel.code)
    return IssuedKey(key=key, raw_key=raw)


def channel_key_revoke(*, key_id: int) -> ChannelKey:
    key = ChannelKey.objects.get(pk=key_id)
    # Compare-and-set: revoking twice keeps the first time.
    ChannelKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    channel_key_cache_invalidate([key.prefix])  # an update() sends no signal: refuse the key from the next request
    key.refresh_from_db()
    logger.info("channel key %s… revoked", key.prefix)
    return key


@transaction.atomic
def channel_key_set_rate(*, key_id: int, requests_per_minute: int | None) -> ChannelKey:
    """The key's own limit of requests per minute (None: the THROTTLE_CHANNEL default)."""
    if requests_per_minute is not None and requests_per_minute < 1:
        raise ValidationFailed(_("每分钟请求上限至少为 1。"), field="requests_per_minute")
    key = ChannelKey.objects.select_for_update().get(pk=key_id)
    key.requests_per_minute = requests_per_minute
    key.save(update_fields=["requests_per_minute", "updated_at"])  # post_save drops the cached key
    logger.info("channel key %s… rate set to %s/min", key.prefix, requests_per_minute or "default")
    return key


MAX_SUBSCRIPTIONS_PER_CHANNEL = 5


def _webhook_schemes() -> tuple[str, ...]:
    return ("https",) + (("http",) if settings.DEBUG else ())


def _check_webhook_url(url: str) -> None:
    """https only (http while DEBUG), and never an address inside the network, literal or resolved (SSRF).

    Deliveries check again on every attempt (govservice.outbound): a name can change its address later.
    """
    try:
        outbound.check_url(url, schemes=_webhook_schemes())
    except outbound.OutboundError as exc:
        if exc.reason == outbound.OutboundError.REFUSED:
            raise ValidationFailed(_("回调地址不能指向内部网络。"), field="url") from exc
        raise ValidationFailed(_("回调地址必须是 https 地址。"), field="url") from exc


def webhook_subscription_create(*, channel: Channel, url: str, secret: str = "") -> WebhookSubscription:
    _check_webhook_url(url)
    if WebhookSubscription.objects.filter(channel=channel, is_active=True).count() >= MAX_SUBSCRIPTIONS_PER_CHANNEL:
        raise ValidationFailed(_("每个渠道最多 %(n)d 个推送地址。") % {"n": MAX_SUBSCRIPTIONS_PER_CHANNEL}, field="url")
    return WebhookSubscription.objects.create(
        channel=channel, url=url, secret=secret or WebhookSubscription.new_secret()
    )


def webhook_subscription_deactivate(*, channel: Channel, subscription_id: int) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.filter(channel=channel, pk=subscription_id).first()
    if subscription is None:
        raise NotFound()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False, updated_at=timezone.now())
    subscription.is_active = False
    return subscription


# --- feed and webhooks ---------------------------------------------------------------------


def _record_payload(obj: Complaint | Evaluation) -> tuple[str, str, str, dict[str, Any]]:
    """(record_kind, record_id, status, payload) without any personal data."""
    if isinstance(obj, Complaint):
        status = obj.status
        return (
            FeedEntry.RecordKind.COMPLAINT,
            obj.tracking_no,
            status,
            {"status_display": str(obj.get_status_display()), "kind": obj.kind},
        )
    return FeedEntry.RecordKind.EVALUATION, str(obj.public_id), evaluation_status(obj), {"level": obj.level}


def evaluation_status(evaluation: Evaluation) -> str:
    """An evaluation has no status of its own: a bad review's flow gives it one."""
    # Only a bad rating ever opens a bad review (complaints.services), and a level never
    # changes: a good rating needs no look-up.
    bad_review = getattr(evaluation, "bad_review", None) if evaluation.level in BAD_REVIEW_LEVELS else None
    if bad_review is not None:
        return str(bad_review.status)
    return "excluded" if evaluation.excluded else "recorded"


def on_record_changed(sender: type, instance: Complaint | Evaluation, **kwargs: Any) -> None:
    """Receiver of `complaints.signals.record_changed` (connected in IntakeConfig.ready()).

    It runs after the complaint's transaction committed and never raises into that caller:
    the write is saved already, and a lost notice must not become a 500.
    """
    try:
        feed_record(obj=instance, changed_at=kwargs.get("changed_at"), status=kwargs.get("status"))
    except Exception:  # broad on purpose: see the docstring; the log keeps the trace
        logger.exception("intake: could not record the change of %r", instance)


def feed_record(*, obj: Any, changed_at: datetime | None = None, status: str | None = None) -> FeedEntry | None:
    """Append a status change to the feed and queue one webhook delivery per active subscription.

    Only channels that talk to machines (a key or a subscription) get entries:
    a walk-in complaint has nobody to tell.
    """
    from .tasks import webhook_deliver

    record = obj if isinstance(obj, (Complaint, Evaluation)) else getattr(obj, "evaluation", None)
    if record is None:
        return None
    # A fresh copy: the caller's instance may predate the change, and is not ours to mutate.
    related = ("channel", "bad_review") if isinstance(record, Evaluation) else ("channel",)
    record = type(record).objects.select_related(*related).get(pk=record.pk)
    channel = record.channel
    subscriptions = list(WebhookSubscription.objects.filter(channel=channel, is_active=True))
    if not subscriptions and not ChannelKey.objects.filter(channel=channel).exists():
        return None
    kind, record_id, current, extra = _record_payload(record)
    status = status or current  # the status the change led to, when the sender knew it
    if isinstance(record, Complaint) and status != current:
        extra["status_display"] = str(Complaint.Status(status).label)
    now = timezone.now()
    with transaction.atomic():
        entry = FeedEntry.objects.create(
            channel=channel,
            record_kind=kind,
            record_id=record_id,
            external_id=record.external_id,
            status=status,
            payload=extra,
            changed_at=changed_at or now,
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription=sub, entry=entry, next_attempt_at=now) for sub in subscriptions]
        )
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: [webhook_deliver.delay(i) for i in ids])
    return entry


def feed_entry_body(entry: FeedEntry) -> dict[str, Any]:
    return {
        "event_id": str(entry.event_id),
        "type": "record.status_changed",
        "record_kind": entry.record_kind,
        "id": entry.record_id,
        "external_id": entry.external_id or None,
        "status": entry.status,
        "changed_at": timezone.localtime(entry.changed_at).isoformat(),
        **entry.payload,
    }


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`; the timestamp defeats replays."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST through the outbound guard and return the status code (OutboundError when no answer came).

    A redirect is not followed: it is an answer, and not a 2xx one. Tests replace this function.
    """
    response = outbound.request(
        "POST",
        url,
        body=body,
        headers=headers,
        schemes=_webhook_schemes(),
        connect_timeout=WEBHOOK_CONNECT_TIMEOUT_SECONDS,
        read_timeout=WEBHOOK_TIMEOUT_SECONDS,
    )
    return response.status


def backoff_seconds(attempts: int) -> int:
    return min(WEBHOOK_MAX_BACKOFF_SECONDS, 15 * 2 ** max(attempts - 1, 0))


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Claim one due delivery, send it, record the outcome. Returns it if another try is due."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(status=WebhookDelivery.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription", "entry").get(pk=delivery_id)
    sub = delivery.subscription
    body = json.dumps(feed_entry_body(delivery.entry), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "govservice-webhooks/1",
        "X-Govservice-Event": "record.status_changed",
        "X-Govservice-Delivery": str(delivery.entry.event_id),
        SIGNATURE_HEADER: webhook_signature(secret=sub.secret, timestamp=timestamp, body=body),
    }
    status_code: int | None = None
    error = detail = ""
    try:
        status_code = http_post(sub.url, body, headers)
    except outbound.OutboundError as exc:
        # The channel reads only the generic reason: the detail (refused, timed out, which address) would let
        # it map ports inside the network. The administrator sees the detail in the admin and the log.
        error, detail = exc.public_message, exc.detail
        logger.info("webhook delivery %s to subscription %s failed: %s", delivery.pk, sub.pk, exc.detail)
    fields = ["status", "last_status_code", "last_error", "last_error_detail", "next_attempt_at", "delivered_at"]
    delivery.last_status_code = status_code
    delivery.last_error = error or ("" if status_code and 200 <= status_code < 300 else f"HTTP {status_code}")
    delivery.last_error_detail = detail
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.save(update_fields=fields)
        return None
    if delivery.attempts >= WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.save(update_fields=fields)
        logger.warning("webhook delivery %s gave up after %s attempts", delivery.pk, delivery.attempts)
        return None
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(delivery.attempts))
    delivery.save(update_fields=fields)
    return delivery
