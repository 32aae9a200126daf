"""Feedback deadlines recomputed when a year of the working calendar is saved (registered with
govservice.calendar_hooks in ComplaintsConfig.ready): a complaint's stored reply deadline, a bad review's
contact and rectification dates, and an escalation's answer date.

Each deadline keeps the number of working days it was given, counted from the day the matter came
in (read back from the calendar as it was: a policy edited since does not change it), on the new
calendar. A moved deadline re-arms its overdue warning, is written into the record's history with
the person who saved the calendar, and is told to the record's owner.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.calendar_hooks import CalendarChange
from notifications.services import NoticeText, notice_send, notice_text
from staff.models import User

from .deadlines import (
    BAD_REVIEW_TO_CONTACT,
    BAD_REVIEW_TO_RECTIFY,
    COMPLAINT_FINISHED,
    ESCALATION_WAITING,
    complaint_set_reply_due,
    reply_warning_level_reached,
)
from .models import BadReview, Complaint, ComplaintEvent, Escalation, EscalationEvent, EvaluationEvent, WorkOrder

# The statuses in which a work order's clocks run (and own the complaint's reply deadline).
WORK_ORDER_RUNNING = (
    WorkOrder.Status.AWAITING_SIGN,
    WorkOrder.Status.HANDLING,
    WorkOrder.Status.EXTENSION_REQUESTED,
)


def _tell_after_commit(people: list[User | None], *, key: str, text: str | NoticeText, url: str) -> None:
    recipients = {user.id: user for user in people if user is not None}

    def send() -> None:
        for user in recipients.values():
            notice_send(recipient=user, key=key, text=text, url=url)

    transaction.on_commit(send)


def complaint_replies_recompute(change: CalendarChange) -> int:
    """Complaints not finished whose stored reply deadline (`reply_due_at`) the saved year can move:
    recounted from the same start with the same working days (its rule's days and its pauses) on the
    new calendar. A moved deadline re-arms the warnings not reached on it."""
    moved = 0
    candidates = (
        Complaint.objects.exclude(status__in=COMPLAINT_FINISHED)
        .exclude(status=Complaint.Status.REPLIED)
        # A running 12345 work order's handling clock is the reply deadline: complaints/work_order_calendar.py.
        .exclude(work_order__status__in=WORK_ORDER_RUNNING)
        .filter(Q(reply_due_at__date__gte=change.first_day) | Q(reply_due_provisional=True) | Q(reply_due_at=None))
    )
    now = timezone.now()
    for complaint in candidates.select_for_update(of=("self",)).select_related("owner", "channel"):
        old_at = complaint.reply_due_at
        complaint_set_reply_due(complaint, change.after)
        if old_at == complaint.reply_due_at:
            Complaint.objects.filter(id=complaint.id).update(reply_due_provisional=complaint.reply_due_provisional)
            continue
        complaint.reply_warned_level = min(
            complaint.reply_warned_level, reply_warning_level_reached(complaint, now, change.after)
        )
        complaint.save(
            update_fields=[
                "reply_working_days",
                "reply_due_at",
                "reply_due_provisional",
                "reply_warned_level",
                "updated_at",
            ]
        )
        if old_at is None:
            continue  # filled for the first time: nothing moved that anyone was told
        new_at = complaint.reply_due_at
        assert new_at is not None  # noqa: S101 - just set
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，投诉建议 %(no)s 的答复期限由 %(old)s 调整为 %(new)s。"),
            {
                "year": change.year,
                "no": complaint.tracking_no,
                "old": timezone.localtime(old_at).date().isoformat(),
                "new": timezone.localtime(new_at).date().isoformat(),
            },
        )
        ComplaintEvent.objects.create(complaint=complaint, actor=change.actor, note=str(text))
        _tell_after_commit(
            [complaint.owner],
            key=f"complaint:{complaint.id}:calendar:{timezone.localtime(new_at).date().isoformat()}",
            text=text,
            url=complaint.get_absolute_url(),
        )
        moved += 1
    return moved


def bad_review_dates_recompute(change: CalendarChange) -> int:
    """Open bad reviews: the contact date while not contacted yet, the rectification date while not
    rectified yet (an appeal keeps it for a rejected appeal). Counts the bad reviews that moved."""
    moved = 0
    to_rectify = (*BAD_REVIEW_TO_RECTIFY, BadReview.Status.APPEALED)
    candidates = BadReview.objects.filter(status__in=to_rectify).filter(
        Q(contact_due__gte=change.first_day) | Q(rectify_due__gte=change.first_day)
    )
    for bad_review in candidates.select_for_update(of=("self",)).select_related("evaluation", "owner"):
        start = timezone.localtime(bad_review.evaluation.rated_at).date()
        fields: list[str] = []
        lines: list[str] = []
        if bad_review.status in BAD_REVIEW_TO_CONTACT and change.may_move(bad_review.contact_due):
            new_contact = change.recount(start, bad_review.contact_due).date
            if new_contact != bad_review.contact_due:
                lines.append(moved_line(_("联系时限"), bad_review.contact_due, new_contact))
                bad_review.contact_due, bad_review.contact_warned_at = new_contact, None
                fields += ["contact_due", "contact_warned_at"]
        if change.may_move(bad_review.rectify_due):
            new_rectify = change.recount(start, bad_review.rectify_due).date
            if new_rectify != bad_review.rectify_due:
                lines.append(moved_line(_("整改时限"), bad_review.rectify_due, new_rectify))
                bad_review.rectify_due, bad_review.rectify_warned_at = new_rectify, None
                fields += ["rectify_due", "rectify_warned_at"]
        if not fields:
            continue
        bad_review.save(update_fields=[*fields, "updated_at"])
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，差评处置期限调整：%(lines)s"),
            {
                "year": change.year,
                "lines": "；".join(lines),
            },
        )
        EvaluationEvent.objects.create(
            evaluation_id=bad_review.evaluation_id, action="deadline_moved", actor=change.actor, note=str(text)
        )
        _tell_after_commit(
            [bad_review.owner],
            key=f"bad-review:{bad_review.id}:calendar:{bad_review.contact_due}:{bad_review.rectify_due}",
            text=text,
            url=f"/feedback/bad-reviews/{bad_review.id}/",
        )
        moved += 1
    return moved


def escalation_dates_recompute(change: CalendarChange) -> int:
    """Escalations still waiting for an answer: the 2/5-working-day limit counted on the new calendar."""
    moved = 0
    candidates = Escalation.objects.filter(status__in=ESCALATION_WAITING).filter(
        Q(due_date__gte=change.first_day) | Q(due_is_provisional=True)
    )
    for escalation in candidates.select_for_update(of=("self",)).select_related("received_by"):
        result = change.recount(timezone.localtime(escalation.received_at).date(), escalation.due_date)
        if result.date == escalation.due_date:
            if result.provisional != escalation.due_is_provisional:
                Escalation.objects.filter(id=escalation.id).update(due_is_provisional=result.provisional)
            continue
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，办不成事反映 %(no)s 的办理时限由 %(old)s 调整为 %(new)s。"),
            {
                "year": change.year,
                "no": escalation.tracking_no,
                "old": escalation.due_date.isoformat(),
                "new": result.date.isoformat(),
            },
        )
        escalation.due_date, escalation.due_is_provisional = result.date, result.provisional
        escalation.overdue_warned_at = None
        escalation.save(update_fields=["due_date", "due_is_provisional", "overdue_warned_at", "updated_at"])
        EscalationEvent.objects.create(escalation=escalation, actor=change.actor, note=str(text))
        _tell_after_commit(
            [escalation.received_by],
            key=f"escalation:{escalation.id}:calendar:{result.date.isoformat()}",
            text=text,
            url=f"/feedback/escalations/{escalation.public_id}/",
        )
        moved += 1
    return moved


def moved_line(label: str, old: date, new: date) -> str:
    return _("%(label)s由 %(old)s 调整为 %(new)s") % {"label": label, "old": old.isoformat(), "new": new.isoformat()}
