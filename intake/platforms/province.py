"""The provincial 好差评 platform: every evaluation and every bad-review disposition step, pushed in batches.

complaints sends `feedback_reported` inside the writing transaction; `on_feedback_reported` (connected in
IntakeConfig.ready()) turns it into one outbox message, so the message commits with the rating or the step.
One stream per evaluation (its public id): the rating first, then each disposition step, in order.
Ratings that came from the platform itself (its app or mini-program) are not pushed back; the disposition
of their bad reviews is, since the platform follows each bad review to its end. The format is in
docs/province-platform.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.selectors import evaluation_tag_labels

from .models import PlatformMessage
from .outbox import platform_message_enqueue
from .registry import PlatformAdapter, message_item, platform_register

logger = logging.getLogger(__name__)

CODE = "province"
FORMAT_VERSION = "1"

# GB/T 39734's five levels, as the platform names them.
LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

STEPS = frozenset({"evaluated", "contacted", "verified", "rectified", "called_back", "appeal_decided"})


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if hasattr(moment, "tzinfo"):
        return timezone.localtime(moment).isoformat()
    return moment.isoformat()  # a date


def province_push_enabled() -> bool:
    return bool(settings.PROVINCE_PLATFORM_PUSH)


def came_from_platform(channel: Any) -> bool:
    """Whether a rating of `channel` was made on the provincial platform (its app, its mini-program)."""
    return channel.code in settings.PROVINCE_PLATFORM_SOURCE_CHANNELS or (
        channel.kind in settings.PROVINCE_PLATFORM_SOURCE_KINDS
    )


def _evaluated_object(evaluation: Any) -> dict[str, Any]:
    centre, window, staff = evaluation.centre, evaluation.window, evaluation.staff
    return {
        "centre_code": centre.code,
        "centre_name": centre.name,
        "window_code": window.code if window is not None else None,
        "window_name": window.name if window is not None else None,
        # The staff number (工号) only: a name is not needed to place the rating, so it is not sent.
        "staff_no": (staff.staff_no or None) if staff is not None else None,
    }


def evaluation_payload(evaluation: Any) -> dict[str, Any]:
    """The data items of one rating (GB/T 39734 评价数据): object, channel, level, tags, time, content."""
    tags = list(evaluation.tags or [])
    labels = evaluation_tag_labels(codes=tags)
    matter, case = evaluation.matter_type, evaluation.case
    return {
        "record_type": "evaluation",
        "evaluation_id": str(evaluation.public_id),
        "follow_up_of": str(evaluation.follow_up_of.public_id) if evaluation.follow_up_of_id else None,
        "evaluated_object": _evaluated_object(evaluation),
        "matter": {"code": matter.code, "name": matter.name} if matter is not None else None,
        "case_no": case.tracking_no if case is not None else None,
        "channel": {"code": evaluation.channel.code, "kind": evaluation.channel.kind},
        "level": evaluation.level,
        "level_name": LEVEL_NAMES.get(evaluation.level, ""),
        "is_bad": evaluation.level <= 2,
        "tags": [{"code": code, "name": labels.get(code, code)} for code in tags],
        # The stored text is already scrubbed of phone and ID numbers (ScrubbedTextField).
        "text": evaluation.text,
        "real_name": evaluation.is_real_name,
        "rated_at": _iso(evaluation.rated_at),
        "counted": not evaluation.excluded,
        "excluded_reason": evaluation.excluded_reason or None,
    }


def disposition_payload(bad_review: Any, step: str) -> dict[str, Any]:
    """One step of a bad review's disposition (GB/T 39734 §9.3 差评处置) with every date known so far."""
    evaluation = bad_review.evaluation
    from_platform = came_from_platform(evaluation.channel)
    return {
        "record_type": "disposition",
        "evaluation_id": str(evaluation.public_id),
        # A rating made on the platform is known there by the platform's own record number.
        "platform_record_id": (evaluation.external_id or None) if from_platform else None,
        "evaluated_object": _evaluated_object(evaluation),
        "step": step,
        "status": bad_review.status,
        "verdict": bad_review.verdict or None,
        "is_complex": bad_review.is_complex,
        "contact_due": _iso(bad_review.contact_due),
        "rectify_due": _iso(bad_review.rectify_due),
        "contacted_at": _iso(bad_review.contacted_at),
        "verify_note": bad_review.verify_note or None,
        "rectification": bad_review.rectification or None,
        "rectified_at": _iso(bad_review.rectified_at),
        "callback_satisfied": bad_review.callback_satisfied,
        "callback_note": bad_review.callback_note or None,
        "appeal_reason": bad_review.appeal_reason or None,
        "appeal_decision": bad_review.appeal_decision or None,
        "appeal_upheld": (bad_review.status == "excluded") if step == "appeal_decided" else None,
        "closed_at": _iso(bad_review.closed_at),
        "occurred_at": _iso(timezone.now()),
    }


def on_feedback_reported(sender: Any, instance: Any, step: str, **kwargs: Any) -> None:
    """complaints.signals.feedback_reported → one outbox message, in the same transaction."""
    if not province_push_enabled() or step not in STEPS:
        return
    if step == "evaluated":
        if came_from_platform(instance.channel):
            return  # the platform has it: it was rated there
        stream = instance.follow_up_of.public_id if instance.follow_up_of_id else instance.public_id
        platform_message_enqueue(
            platform=CODE,
            centre=instance.centre_id,
            stream_key=str(stream),
            kind="follow_up" if instance.follow_up_of_id else "evaluation",
            payload=evaluation_payload(instance),
        )
        return
    platform_message_enqueue(
        platform=CODE,
        centre=instance.centre_id,
        stream_key=str(instance.evaluation.public_id),
        kind=f"disposition:{step}",
        payload=disposition_payload(instance, step),
    )


def build_body(code: str, messages: Sequence[PlatformMessage]) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "sender": settings.PROVINCE_PLATFORM_SENDER_ID,
        "sent_at": _iso(timezone.now()),
        "count": len(messages),
        "items": [message_item(m) for m in messages],
    }


def register() -> None:
    platform_register(
        PlatformAdapter(
            code=CODE,
            label=_("省好差评平台"),
            batch_size=settings.PROVINCE_PLATFORM_BATCH_SIZE,
            build_body=build_body,
        )
    )
