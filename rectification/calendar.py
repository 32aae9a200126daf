"""Ledger measures' deadlines recomputed when a year of the working calendar is saved (registered
with govservice.calendar_hooks in RectificationConfig.ready). Only a measure given as a start date
plus N working days is counted; a measure with a fixed date keeps it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_noop

from govservice.calendar_hooks import CalendarChange
from notifications.services import NoticeText, notice_send, notice_text
from staff.models import User

from .models import Measure, ProblemEvent
from .services._shared import _event


def _tell_after_commit(owner: User, *, key: str, text: str | NoticeText, url: str) -> None:
    transaction.on_commit(lambda: notice_send(recipient=owner, key=key, text=text, url=url))


def measure_deadlines_recompute(change: CalendarChange) -> int:
    moved = 0
    candidates = Measure.objects.filter(
        completed_at__isnull=True, working_days__isnull=False, start_on__isnull=False
    ).filter(Q(deadline__gte=change.first_day) | Q(deadline_provisional=True))
    for measure in candidates.select_for_update(of=("self",)).select_related("problem", "owner"):
        if measure.start_on is None or not measure.working_days:  # excluded by the filter; for the type checker
            continue
        result = change.after.add_working_days(measure.start_on, measure.working_days)
        if result.date == measure.deadline:
            if result.provisional != measure.deadline_provisional:
                Measure.objects.filter(id=measure.id).update(deadline_provisional=result.provisional)
            continue
        old = measure.deadline
        measure.deadline, measure.deadline_provisional = result.date, result.provisional
        # A new deadline re-arms the near-due and overdue warnings (as measure_update does).
        measure.near_due_warned_at = measure.overdue_flagged_at = None
        measure.save(
            update_fields=["deadline", "deadline_provisional", "near_due_warned_at", "overdue_flagged_at", "updated_at"]
        )
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，整改措施“%(m)s”的整改时限由 %(old)s 调整为 %(new)s。"),
            {
                "year": change.year,
                "m": str(measure),
                "old": old.isoformat(),
                "new": result.date.isoformat(),
            },
        )
        _event(
            measure.problem,
            change.actor,
            ProblemEvent.Kind.EDIT,
            note=str(text),
            changes={"deadline": [str(old), str(result.date)]},
        )
        _tell_after_commit(
            measure.owner,
            key=f"measure:{measure.id}:calendar:{result.date.isoformat()}",
            text=text,
            url=measure.problem.get_absolute_url(),
        )
        moved += 1
    return moved
