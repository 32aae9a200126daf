"""Helpers every feedback service shares: the change signal, scoping checks, tracking numbers."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.categories import ProblemCategory
from govservice.exceptions import ValidationFailed
from govservice.models import Centre

from .. import signals
from ..models import BadReview, Channel, Complaint, Evaluation


def feedback_reported(obj: Evaluation | BadReview, step: str) -> None:
    """Tell the apps after this one, inside this transaction, that a rating or a disposition step was saved."""
    signals.feedback_reported.send(sender=type(obj), instance=obj, step=step)


def record_changed_after_commit(obj: Complaint | Evaluation) -> None:
    """Send `signals.record_changed` once the transaction commits (apps after this one listen)."""
    transaction.on_commit(lambda: signals.record_changed.send(sender=type(obj), instance=obj))


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
