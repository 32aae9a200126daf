"""`Idempotency-Key`: a retry gets the first response and creates nothing.

The key's row is written with the response at the end of the same transaction
as the write. A concurrent request with the same key blocks on the unique index
until the first commits, then rolls its own work back and replays the stored
response; if the first rolls back, the second simply commits. Nobody ever sees
a half-done key. (Rows in state "in progress" come from an earlier version that
claimed the key first; they are still answered 409.)

A failed request is rolled back whole, and its error answer is stored in a
second, short transaction: between the two another request with the same key
may run; then its answer is the one stored and replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from complaints.models import Channel
from govservice.exceptions import Conflict, DomainError, ValidationFailed, api_exception_handler

from .models import IdempotencyRecord

KEY_HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
RETENTION = timedelta(hours=48)  # the issue asks for at least 24 h; 48 h covers a retry over a weekend night


class KeyReusedWithOtherBody(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_message = _("该 Idempotency-Key 已用于另一份不同的请求；请为新请求使用新的键。")


class KeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    default_message = _("使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。")


def request_fingerprint(endpoint: str, data: Any) -> str:
    canonical = json.dumps([endpoint, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_from(meta: dict[str, Any]) -> str | None:
    key = meta.get(KEY_HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(gettext("Idempotency-Key 长度须为 1–255 个字符。"), field="Idempotency-Key")
    return key


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise KeyReusedWithOtherBody()
    if record.state != IdempotencyRecord.State.DONE:
        raise KeyInProgress()
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


class _KeyTaken(Exception):
    """The key's row exists already (or another request holding it just committed)."""


class _HandlerFailed(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _replay_stored(channel: Channel, key: str, fingerprint: str) -> Response:
    existing = IdempotencyRecord.objects.filter(channel=channel, key=key).first()
    if existing is None:
        # Only when the holder of the key rolled back between our insert and this read.
        raise KeyInProgress()
    return _replay(existing, fingerprint)


def run_idempotent(
    *,
    channel: Channel,
    key: str | None,
    endpoint: str,
    data: Any,
    handler: Callable[[], Response],
    error_handler: Callable[[Exception, dict[str, Any]], Response | None] | None = None,
) -> Response:
    """Run `handler` once per (channel, key); with no key, just run it.

    Domain and validation errors are stored too: the same body would fail the
    same way, and a retry must see the same answer.

    The success path is one transaction without savepoints: the handler's writes,
    then the key's row with the response, committed together. A retry (or a
    concurrent twin, which waits on the key's unique index until the first
    commits) fails on that last insert; its transaction is rolled back, so its
    writes vanish, and the stored answer is replayed. A handler error rolls the
    transaction back and the error answer is stored on its own.
    """
    if key is None:
        return handler()
    fingerprint = request_fingerprint(endpoint, data)
    try:
        with transaction.atomic():
            try:
                response = handler()
            except (DomainError, exceptions.APIException) as exc:
                raise _HandlerFailed(exc) from exc
            _store(channel=channel, key=key, endpoint=endpoint, fingerprint=fingerprint, response=response)
        return response
    except _KeyTaken:
        return _replay_stored(channel, key, fingerprint)
    except _HandlerFailed as failed:
        rendered = (error_handler or api_exception_handler)(failed.error, {})
        if rendered is None:
            raise failed.error from None
        try:
            with transaction.atomic():
                _store(channel=channel, key=key, endpoint=endpoint, fingerprint=fingerprint, response=rendered)
        except _KeyTaken:
            # A retry of a request that succeeded (or failed) before: the first answer stands.
            return _replay_stored(channel, key, fingerprint)
        return rendered


def _store(*, channel: Channel, key: str, endpoint: str, fingerprint: str, response: Response) -> None:
    """Insert the key's row with its answer; _KeyTaken if the key has one already."""
    try:
        IdempotencyRecord.objects.create(
            channel=channel,
            key=key,
            endpoint=endpoint,
            request_hash=fingerprint,
            state=IdempotencyRecord.State.DONE,
            response_status=response.status_code,
            response_body=response.data,
            completed_at=timezone.now(),
        )
    except IntegrityError:
        raise _KeyTaken() from None  # leaving the atomic block rolls everything back


def idempotency_purge(*, now: Any = None) -> int:
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _detail = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
