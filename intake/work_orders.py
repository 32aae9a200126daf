"""12345 work orders pushed by a hotline platform: the signature check, the request's authentication and
the receiving of an order and of its callback result.

Every request carries three headers:

    X-Hotline-Platform:  the platform's code (intake.HotlinePlatform)
    X-Hotline-Timestamp: Unix seconds when it was signed
    X-Hotline-Signature: hex HMAC-SHA256(secret, "<timestamp>." + raw body)

A request signed more than `MAX_SKEW_SECONDS` away from now is refused (a replay of an old request), and
so is a second request with a signature already seen in that window (a replay of a recent one). A refused
request gets a 401 with a clear error, a line in the log (the platform, the reason and the path; never the
body) and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from complaints import selectors as complaint_selectors
from complaints import services as complaint_services
from complaints.models import Complaint, WorkOrder, WorkOrderEvent
from govservice.exceptions import NotFound

from .models import HotlinePlatform
from .platforms.outbox import platform_message_enqueue
from .platforms.registry import PlatformAdapter, platform_codes, platform_register
from .submit import complaint_receive

logger = logging.getLogger(__name__)

PLATFORM_HEADER = "X-Hotline-Platform"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
SIGNATURE_HEADER = "X-Hotline-Signature"
MAX_SKEW_SECONDS = 300
_MAX_TIMESTAMP_DIGITS = 12


class SignatureRefused(Exception):  # noqa: N818 - a refusal, named as the domain says it
    """Why a signed request was refused; `reason` goes to the log and the error's code."""

    MESSAGES = {
        "missing": gettext_lazy("缺少签名请求头（X-Hotline-Platform、X-Hotline-Timestamp、X-Hotline-Signature）。"),
        "unknown_platform": gettext_lazy("未知或已停用的热线平台。"),
        "bad_timestamp": gettext_lazy("签名时间戳无效。"),
        "stale": gettext_lazy("签名时间与服务器时间相差超过 5 分钟，请求已拒绝（防重放）。"),
        "replayed": gettext_lazy("该签名已使用过，请求已拒绝（防重放）。"),
        "bad_signature": gettext_lazy("签名不正确。"),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.reason])


def hotline_signature(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """hex HMAC-SHA256(secret, "<timestamp>." + body): what the platform sends and what is checked."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def hotline_signature_check(*, secret: str, timestamp: str, signature: str, body: bytes, now: float) -> int:
    """Raise SignatureRefused unless `signature` signs `body` at `timestamp`, within MAX_SKEW_SECONDS of
    `now`. Returns the timestamp. Compared in constant time."""
    if not timestamp or not signature:
        raise SignatureRefused("missing")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureRefused("bad_timestamp")
    signed_at = int(timestamp)
    if abs(now - signed_at) > MAX_SKEW_SECONDS:
        raise SignatureRefused("stale")
    expected = hotline_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("ascii", "replace")):
        raise SignatureRefused("bad_signature")
    return signed_at


def _seen_key(platform: HotlinePlatform, signature: str) -> str:
    return f"intake:hotline:seen:{platform.code}:{signature.strip().lower()}"


def _refuse(request: Request, code: str, reason: str) -> exceptions.AuthenticationFailed:
    logger.warning("hotline push refused (%s): platform=%r path=%s", reason, code[:40], request.path)
    return exceptions.AuthenticationFailed(SignatureRefused(reason).message, code=reason)


class HotlineSignatureAuthentication(BaseAuthentication):
    """Authenticates a hotline platform by its signature; `request.auth` is the HotlinePlatform."""

    def authenticate(self, request: Request) -> tuple[Any, HotlinePlatform]:
        meta = request.META
        code = meta.get("HTTP_X_HOTLINE_PLATFORM", "").strip()
        timestamp = meta.get("HTTP_X_HOTLINE_TIMESTAMP", "").strip()
        signature = meta.get("HTTP_X_HOTLINE_SIGNATURE", "").strip()
        if not code or not timestamp or not signature:
            raise _refuse(request, code, "missing")
        platform = (
            HotlinePlatform.objects.filter(code=code, is_active=True, channel__is_active=True)
            .select_related("channel")
            .first()
        )
        if platform is None:
            raise _refuse(request, code, "unknown_platform")
        try:
            hotline_signature_check(
                secret=platform.secret, timestamp=timestamp, signature=signature, body=request.body, now=time.time()
            )
        except SignatureRefused as exc:
            raise _refuse(request, code, exc.reason) from exc
        # Seen once: the same signed request again within the window is a replay (cache.add is atomic).
        if not cache.add(_seen_key(platform, signature), 1, timeout=2 * MAX_SKEW_SECONDS + 60):
            raise _refuse(request, code, "replayed")
        return AnonymousUser(), platform

    def authenticate_header(self, request: Request) -> str:
        # Present so DRF answers 401 (with WWW-Authenticate), not 403.
        return 'HMAC-SHA256 realm="12345-hotline"'


class IsHotlinePlatform(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, HotlinePlatform)


class HotlineSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "intake.work_orders.HotlineSignatureAuthentication"
    name = "hotlineSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": SIGNATURE_HEADER,
            "description": (
                "hex HMAC-SHA256(platform secret, '<X-Hotline-Timestamp>.' + raw body), with the headers "
                "X-Hotline-Platform (platform code) and X-Hotline-Timestamp (Unix seconds, within 5 minutes). "
                "A signature is accepted once."
            ),
        }


@transaction.atomic
def work_order_receive(*, platform: HotlinePlatform, data: dict[str, Any]) -> tuple[WorkOrder, bool]:
    """(order, created): the order as a complaint of the platform's channel with its work order. The
    same order number again is the same complaint (created False), however it came first (push or file)."""
    order_no = data["order_no"]
    complaint, created = complaint_receive(
        channel=platform.channel, data={**data, "external_id": order_no}, savepoint=True
    )
    order, order_created = complaint_services.work_order_attach(complaint=complaint, order_no=order_no)
    return order, created or order_created


def work_order_callback_receive(
    *, platform: HotlinePlatform, order_no: str, result: str, note: str, path: str
) -> WorkOrder:
    """The hotline's callback result (回访) for one of its orders. An unknown order is a 404 and a log line."""
    order = complaint_selectors.work_order_by_number(channel=platform.channel, order_no=order_no)
    if order is None:
        logger.warning("hotline callback refused (unknown order): platform=%s path=%s", platform.code, path)
        raise NotFound(_("未找到该工单：%(no)s。") % {"no": order_no[:64]})
    return complaint_services.work_order_transition(
        work_order_id=order.id,
        action=WorkOrder.Action.CALLBACK,
        actor=None,
        callback_result=result,
        note=note,
        by_platform=True,
    )


def attaches_work_orders(channel_id: int) -> bool:
    """A batch file of this channel makes work orders: the channel is a hotline platform's."""
    return HotlinePlatform.objects.filter(channel_id=channel_id).exists()


def work_order_attach_imported(*, complaint: Complaint) -> None:
    """A row of a platform channel's file: the complaint gets its work order (same key as the push)."""
    if complaint.external_id:
        complaint_services.work_order_attach(complaint=complaint, order_no=complaint.external_id)


# --- the send-back: every step of a work order to its hotline, through the platform outbox ----------

# The outbox's platform code for the 12345 hotline (its URL and secret: PLATFORM_HOTLINE_URL / _SECRET).
HOTLINE_OUTBOX = "hotline"


def work_order_message(order: WorkOrder, event: WorkOrderEvent, platform: HotlinePlatform) -> dict[str, Any]:
    """What the hotline reads of one step: plain JSON, free text as stored (scrubbed: phone and ID numbers
    masked), no citizen's contact data."""
    return {
        "platform": platform.code,
        "order_no": order.order_no,
        "tracking_no": order.complaint.tracking_no,
        "action": event.action,
        "status": order.status,
        "previous_status": event.old_status,
        "occurred_at": timezone.localtime(event.created_at).isoformat(),
        "note": event.note,
        "extension_days": event.days,
        "handle_due_at": timezone.localtime(order.handle_due_at).isoformat(),
        "round": order.rounds,
        "centre": order.complaint.centre.code,
    }


def on_work_order_changed(sender: type, work_order: WorkOrder, event: WorkOrderEvent, **kwargs: Any) -> None:
    """Receiver of `complaints.signals.work_order_changed`, inside the step's transaction: queue the step for
    the hotline in the same transaction (it leaves after commit, in order per order number).

    A step the hotline itself pushed (the order's arrival, its callback result) is not sent back: the
    hotline is where it came from. An order of a channel that is no platform's has nobody to tell.
    """
    if event.by_platform:
        return
    platform = HotlinePlatform.objects.filter(channel_id=work_order.channel_id).first()
    if platform is None:
        return
    platform_message_enqueue(
        platform=HOTLINE_OUTBOX,
        centre=work_order.complaint.centre_id,
        stream_key=work_order.order_no,
        kind=f"work_order.{event.action}",
        payload=work_order_message(work_order, event, platform),
    )


def register_outbox() -> None:
    """The hotline as a platform of the outbox (one message a request, the outbox's default body)."""
    if HOTLINE_OUTBOX not in platform_codes():
        platform_register(PlatformAdapter(code=HOTLINE_OUTBOX, label=gettext_lazy("12345热线平台"), batch_size=1))
