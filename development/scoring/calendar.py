"""Scoring follow-ups' deadlines recomputed when a year of the working calendar is saved (registered
with govservice.calendar_hooks in DevelopmentConfig.ready). A follow-up is due 10 working days after
the day it was raised; an open one whose deadline the saved year can move keeps its number of working
days on the new calendar."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from govservice.calendar_hooks import CalendarChange
from notifications.services import NoticeText, notice_send, notice_text
from staff.models import User

from ..models import FollowUp, FollowUpEvent


def _tell_after_commit(owner: User, *, key: str, text: str | NoticeText) -> None:
    transaction.on_commit(lambda: notice_send(recipient=owner, key=key, text=text, url="/scores/centre/"))


def follow_up_deadlines_recompute(change: CalendarChange) -> int:
    moved = 0
    candidates = FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_date__gte=change.first_day)
    for follow_up in candidates.select_for_update(of=("self",)).select_related("staff", "assignee"):
        raised_on = timezone.localdate(follow_up.created_at)
        new = change.recount(raised_on, follow_up.due_date).date
        if new == follow_up.due_date:
            continue
        old = follow_up.due_date
        follow_up.due_date = new
        follow_up.save(update_fields=["due_date", "updated_at"])
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，%(name)s 的%(kind)s完成期限由 %(old)s 调整为 %(new)s。"),
            {
                "year": change.year,
                "name": follow_up.staff.name,
                "kind": FollowUp.Kind(follow_up.kind).label,
                "old": old.isoformat(),
                "new": new.isoformat(),
            },
        )
        FollowUpEvent.objects.create(
            follow_up=follow_up, actor=change.actor, old_due_date=old, new_due_date=new, note=str(text)[:300]
        )
        if follow_up.assignee is not None:
            _tell_after_commit(
                follow_up.assignee, key=f"score-follow-up:{follow_up.id}:calendar:{new.isoformat()}", text=text
            )
        moved += 1
    return moved
