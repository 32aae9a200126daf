"""Helpers every feedback service shares: the change signal, scoping checks, tracking numbers."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.categories import ProblemCategory
from govservice.exceptions import ValidationFailed
from govservice.models import Centre
from govservice.outbox import outbox_enqueue, outbox_run_task

from .. import signals
from ..models import BadReview, Channel, Complaint, Evaluation


def feedback_reported(obj: Evaluation | BadReview, step: str) -> None:
    """Tell the apps after this one, inside this transaction, that a rating or a disposition step was saved."""
    signals.feedback_reported.send(sender=type(obj), instance=obj, step=step)


RECORD_CHANGED_TOPIC = "complaints.record_changed"


def record_changed_after_commit(
    obj: Complaint | Evaluation, *, task: str = "", task_args: tuple[Any, ...] = ()
) -> None:
    """Send `signals.record_changed` after the transaction commits and after the response: an outbox
    message written in the caller's transaction (govservice/outbox.py), run by the drain in a worker.

    The payload keeps when the change happened and, for a complaint, the status it changed to, so that
    the feed says what happened even when a later change was committed before the drain ran. `task`: a
    Celery task (its dotted name) the same message publishes after the signal, so that a write with both
    costs its transaction one INSERT."""
    payload: dict[str, Any] = {
        "model": "complaint" if isinstance(obj, Complaint) else "evaluation",
        "id": obj.pk,
        "changed_at": timezone.now().isoformat(),
    }
    if isinstance(obj, Complaint):
        payload["status"] = obj.status
    if task:
        payload["task"], payload["args"] = task, list(task_args)
    outbox_enqueue(topic=RECORD_CHANGED_TOPIC, payload=payload)


def record_changed_send(payload: dict[str, Any]) -> None:
    """The outbox handler of RECORD_CHANGED_TOPIC (registered in ComplaintsConfig.ready())."""
    model: type[Complaint] | type[Evaluation] = Complaint if payload["model"] == "complaint" else Evaluation
    obj = model.objects.filter(pk=payload["id"]).first()
    if obj is None:
        return  # deleted since: nothing to tell
    signals.record_changed.send(
        sender=model,
        instance=obj,
        changed_at=datetime.fromisoformat(payload["changed_at"]),
        status=payload.get("status"),
    )
    if payload.get("task"):
        outbox_run_task(payload)


def _check_same_centre(obj: Any, centre: Centre, field: str) -> None:
    if obj is not None and obj.centre_id != centre.id:
        # Same message as "not found": another centre's records must not be confirmed to exist.
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field=field)


def _serves(channel: Channel, centre: Centre) -> bool:
    # Kept (docs/private-api.md #5): reads the prefetch cache intake/auth.py fills for a cached key
    # (#4), for the "channel intake POST" figure of docs/benchmarks.md.
    prefetched = getattr(channel, "_prefetched_objects_cache", {}).get("centres")
    if prefetched is not None:  # the intake API's channel comes with its centres
        return any(c.id == centre.id for c in prefetched)
    return channel.centres.filter(id=centre.id).exists()


def _check_channel(channel: Channel, centre: Centre) -> None:
    if not channel.is_active or not _serves(channel, centre):
        raise ValidationFailed(_("该渠道未启用或不服务于该中心。"), field="channel")


def _local_date(moment: datetime) -> Any:
    return timezone.localtime(moment).date()


def suggest_category(text: str) -> str:
    """A keyword suggestion of the ProblemCategory for a complaint; staff decide."""
    scores = {category: sum(word in text for word in words) for category, words in CATEGORY_KEYWORDS.items()}
    best = max(scores, key=lambda c: scores[c])
    return best if scores[best] else ""


CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    ProblemCategory.ATTITUDE: (
        "态度",
        "不耐烦",
        "冷漠",
        "推诿",
        "扯皮",
        "脸色",
        "语气",
        "不理",
        "爱答不理",
        "凶",
        "训斥",
    ),
    ProblemCategory.ABILITY: ("不懂", "不熟悉", "说不清", "答不上", "政策", "解释错误", "业务不熟", "一业一证", "不会"),
    ProblemCategory.EFFICIENCY: ("排队", "太慢", "等了", "跑了", "多次", "流程", "材料", "时间长", "效率", "来回"),
    ProblemCategory.DISCIPLINE: ("玩手机", "离岗", "迟到", "早退", "聊天", "吃东西", "不在岗", "吃拿卡要", "纪律"),
}


def _new_tracking_no(centre: Centre, letter: str) -> str:
    return f"{centre.tracking_prefix}{letter}{timezone.localdate():%y%m%d}{secrets.randbelow(10**6):06d}"
