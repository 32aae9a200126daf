"""A 12345 work order's stage clocks recomputed when a year of the working calendar is saved
(registered with govservice.calendar_hooks in ComplaintsConfig.ready, after the complaints' reply
deadlines).

Each clock keeps the number of working days it was given, counted from its own start on the new
calendar (govservice.calendar_hooks.CalendarChange.recount): the signing and return clocks from the
day the order arrived, the handling clock from that day too, or from the callback day once a "not
satisfied" callback sent the order back (重办); an approved extension's days are inside the count read
back from the old calendar. The complaint's reply deadline is the order's handling clock
(complaints.services.work_orders), so the two are put in step here whatever the reply recount found: a
leader never sees two deadlines for one order. A moved clock re-arms its warnings, is written into the
complaint's history with the person who saved the calendar, and is told to the complaint's owner.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.calendar_hooks import CalendarChange
from notifications.services import NoticeText, notice_send, notice_text

from .calendar import WORK_ORDER_RUNNING, moved_line
from .deadlines import end_of_working_day
from .models import Complaint, ComplaintEvent, WorkOrder


def _day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _recount(change: CalendarChange, start: date, due_at: datetime) -> tuple[datetime, bool] | None:
    """The clock on the new calendar, or None when the saved year cannot move it."""
    if not change.may_move(_day(due_at)):
        return None
    result = change.recount(start, _day(due_at))
    return end_of_working_day(result.date), result.provisional


def work_order_clocks_recompute(change: CalendarChange) -> int:
    """Running orders (awaiting signing, handling, extension requested): their three clocks recounted.
    Counts the orders whose clocks moved."""
    moved = 0
    first = change.first_day
    candidates = WorkOrder.objects.filter(status__in=WORK_ORDER_RUNNING).filter(
        Q(sign_due_at__date__gte=first)
        | Q(return_due_at__date__gte=first)
        | Q(handle_due_at__date__gte=first)
        | Q(due_provisional=True)
    )
    for order in candidates.select_for_update(of=("self",)).select_related("complaint", "complaint__owner"):
        complaint = order.complaint
        arrived = _day(complaint.received_at)
        handle_start = _day(order.callback_at) if order.rounds > 1 and order.callback_at else arrived
        clocks = {
            "sign_due_at": (_("签收期限"), _recount(change, arrived, order.sign_due_at)),
            "return_due_at": (_("退回期限"), _recount(change, arrived, order.return_due_at)),
            "handle_due_at": (_("办理期限"), _recount(change, handle_start, order.handle_due_at)),
        }
        lines: list[str] = []
        provisional = False
        fields: list[str] = []
        for field, (label, recounted) in clocks.items():
            if recounted is None:
                continue
            new_at, new_provisional = recounted
            provisional = provisional or new_provisional
            old_at = getattr(order, field)
            if new_at != old_at:
                lines.append(moved_line(str(label), _day(old_at), _day(new_at)))
                setattr(order, field, new_at)
                fields.append(field)
        if provisional != order.due_provisional and any(r is not None for _label, r in clocks.values()):
            order.due_provisional = provisional
            fields.append("due_provisional")
        if fields:
            order.save(update_fields=[*fields, "updated_at"])
        _complaint_in_step(complaint, order)
        if not lines:
            continue
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，12345工单 %(no)s 的时限调整：%(lines)s"),
            {"year": change.year, "no": order.order_no, "lines": "；".join(lines)},
        )
        ComplaintEvent.objects.create(complaint=complaint, actor=change.actor, note=str(text))
        _tell_after_commit(complaint, order, text)
        moved += 1
    return moved


def _complaint_in_step(complaint: Complaint, order: WorkOrder) -> None:
    """The complaint's reply deadline is the order's handling clock: the same moment, always."""
    if complaint.reply_due_at == order.handle_due_at and complaint.reply_due_provisional == order.due_provisional:
        return
    complaint.reply_due_at, complaint.reply_due_provisional = order.handle_due_at, order.due_provisional
    complaint.reply_warned_level = 0
    complaint.save(update_fields=["reply_due_at", "reply_due_provisional", "reply_warned_level", "updated_at"])


def _tell_after_commit(complaint: Complaint, order: WorkOrder, text: NoticeText) -> None:
    owner = complaint.owner
    if owner is None:
        return
    key = f"work-order:{order.id}:calendar:{_day(order.sign_due_at)}:{_day(order.handle_due_at)}"
    url = complaint.get_absolute_url()
    transaction.on_commit(lambda: notice_send(recipient=owner, key=key, text=text, url=url))
