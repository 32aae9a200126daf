"""An unanswered hand-over offer: the receiver is reminded after a number of working hours, then the
centre's leaders are told (settings.HANDOVER_REMIND_AFTER_WORKING_HOURS / _ESCALATE_AFTER_)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.workdays import WorkCalendar
from notifications.services import notice_text
from staff.selectors import leaders_of

from ..models import CaseEvent, Handover
from ._common import _event, _notify_after_commit

# Office hours counted as working hours on a working day (the hall's opening hours).
OFFICE_OPENS = time(9, 0)
OFFICE_CLOSES = time(17, 0)
# An offer older than this many calendar days counts as far past any threshold without walking every day.
_MAX_DAYS_WALKED = 60


def working_hours_between(start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """Hours of office time on working days between two moments (local time)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if end <= start:
        return 0.0
    total = timedelta()
    day = start.date()
    for _walked in range(_MAX_DAYS_WALKED + 1):
        if day > end.date():
            break
        if calendar.is_working_day(day):
            opens = timezone.make_aware(datetime.combine(day, OFFICE_OPENS), start.tzinfo)
            closes = timezone.make_aware(datetime.combine(day, OFFICE_CLOSES), start.tzinfo)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    else:
        return float("inf")
    return total.total_seconds() / 3600


def handover_remind(*, handover_id: int, calendar: WorkCalendar, now: datetime | None = None) -> str:
    """Remind the receiver of an offer open past the first threshold; tell the leaders past the second.

    Each step happens once (a compare-and-set on reminded_at / escalated_at), the second only after the
    first. Returns "reminded", "escalated" or "" (nothing to do)."""
    now = now or timezone.now()
    handover = Handover.objects.select_related("case", "to_user", "from_user", "case__centre").get(id=handover_id)
    if handover.state != Handover.State.OFFERED:
        return ""
    hours = working_hours_between(handover.offered_at, now, calendar)
    case = handover.case
    pending = Handover.objects.filter(id=handover.id, state=Handover.State.OFFERED, offered_at=handover.offered_at)
    if handover.reminded_at is None:
        if hours < settings.HANDOVER_REMIND_AFTER_WORKING_HOURS or not pending.filter(reminded_at__isnull=True).update(
            reminded_at=now
        ):
            return ""
        _event(
            case,
            kind=CaseEvent.Kind.WARNING,
            actor=None,
            note=_("转交待 %(to)s 接收已超过 %(hours)d 个工作小时，已提醒")
            % {"to": handover.to_user, "hours": settings.HANDOVER_REMIND_AFTER_WORKING_HOURS},
        )
        _notify_after_commit(
            [handover.to_user],
            key=f"case:{case.id}:handover:{handover.id}:remind:{handover.offered_at.isoformat()}",
            text=notice_text(
                gettext_noop("请尽快答复 %(from)s 转交的办件 %(no)s（已等待 %(hours)d 个工作小时）。"),
                {"from": handover.from_user, "no": case.tracking_no, "hours": int(hours)},
            ),
            url=case.get_absolute_url(),
        )
        return "reminded"
    if handover.escalated_at is not None or hours < settings.HANDOVER_ESCALATE_AFTER_WORKING_HOURS:
        return ""
    if not pending.filter(escalated_at__isnull=True).update(escalated_at=now):
        return ""
    _event(
        case,
        kind=CaseEvent.Kind.WARNING,
        actor=None,
        note=_("转交待 %(to)s 接收已超过 %(hours)d 个工作小时，已报告中心领导")
        % {"to": handover.to_user, "hours": settings.HANDOVER_ESCALATE_AFTER_WORKING_HOURS},
    )
    _notify_after_commit(
        list(leaders_of(case.centre)),
        key=f"case:{case.id}:handover:{handover.id}:escalate:{handover.offered_at.isoformat()}",
        text=notice_text(
            gettext_noop("办件 %(no)s 由 %(from)s 转交给 %(to)s，已 %(hours)d 个工作小时未答复。"),
            {"no": case.tracking_no, "from": handover.from_user, "to": handover.to_user, "hours": int(hours)},
        ),
        url=case.get_absolute_url(),
    )
    return "escalated"
