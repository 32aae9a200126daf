"""Waiting for the citizen (待群众补充): the reply clock stops, and moves on by the paused working days."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import InvalidTransition, NotPermitted
from govservice.workdays import WorkCalendar
from staff.models import User

from ..deadlines import complaint_set_reply_due, paused_working_days, reply_warning_level_reached
from ..models import Complaint
from .complaints import _complaint_move, _lock_complaint, _refuse_if_work_order


@transaction.atomic
def complaint_wait_for_citizen(*, complaint_id: int, actor: User, note: str = "") -> Complaint:
    """Ask the citizen for more (materials, an account of events): the reply clock stops until resumed."""
    complaint = _lock_complaint(complaint_id)
    if not access.can_handle_complaint(actor, complaint):
        raise NotPermitted()
    if complaint.status == Complaint.Status.WAITING_CITIZEN:
        return complaint  # a repeated request is a no-op
    # A 12345 work order's clocks are the hotline's: they have no pause (its extension request is the way).
    _refuse_if_work_order(complaint)
    previous = complaint.status
    _complaint_move(complaint, Complaint.Status.WAITING_CITIZEN, actor=actor, note=note.strip())
    complaint.paused_at, complaint.paused_from = timezone.now(), previous
    complaint.save(update_fields=["status", "paused_at", "paused_from", "updated_at"])
    return complaint


@transaction.atomic
def complaint_resume(*, complaint_id: int, actor: User, note: str = "") -> Complaint:
    """The citizen answered (or the wait is given up): back to the status it left, the reply deadline
    moved by the working days the pause took; a warning level not reached on the new deadline is re-armed."""
    complaint = _lock_complaint(complaint_id)
    if not access.can_handle_complaint(actor, complaint):
        raise NotPermitted()
    if complaint.status != Complaint.Status.WAITING_CITIZEN:
        raise InvalidTransition(current=str(Complaint.Status(complaint.status).label), requested=_("恢复办理"))
    calendar = WorkCalendar.load()
    now = timezone.now()
    paused = paused_working_days(calendar, paused_at=complaint.paused_at or now, resumed_at=now)
    back_to = complaint.paused_from or Complaint.Status.RECEIVED
    old_due = complaint.reply_due_at
    complaint.reply_paused_days += paused
    complaint_set_reply_due(complaint, calendar)
    moved = ""
    if old_due is not None and complaint.reply_due_at != old_due:
        moved = _("暂停 %(days)s 个工作日，答复期限由 %(old)s 调整为 %(new)s") % {
            "days": paused,
            "old": timezone.localtime(old_due).date().isoformat(),
            "new": timezone.localtime(complaint.reply_due_at).date().isoformat(),
        }
    _complaint_move(complaint, back_to, actor=actor, note="；".join(part for part in (note.strip(), moved) if part))
    complaint.paused_at, complaint.paused_from = None, ""
    complaint.reply_warned_level = min(
        complaint.reply_warned_level, reply_warning_level_reached(complaint, now, calendar)
    )
    complaint.save(
        update_fields=[
            "status",
            "paused_at",
            "paused_from",
            "reply_paused_days",
            "reply_due_at",
            "reply_due_provisional",
            "reply_warned_level",
            "updated_at",
        ]
    )
    return complaint
