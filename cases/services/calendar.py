"""Cases' deadlines recomputed when a year of the working calendar is saved (registered with
govservice.calendar_hooks in CasesConfig.ready): the promised completion date of a running clock,
and the correction deadline of an acceptance with deficiencies with its SMS and call reminders."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from govservice.calendar_hooks import CalendarChange
from notifications.services import notice_text

from ..clock import clock_compute
from ..models import Case, CaseEvent, Commitment
from ._common import _event, _notify_after_commit
from .reminders import _reminders_cancel, reminders_plan

S = Case.Status


def case_promised_dates_recompute(change: CalendarChange) -> int:
    """Open cases whose clock runs: the clock replayed on the new calendar; returns how many moved."""
    moved = 0
    candidates = Case.objects.filter(status__in=(S.ACCEPTED, S.IN_PROCESS), due_date__gte=change.first_day)
    for case in candidates.select_for_update(of=("self",)).select_related("matter_type", "handler", "first_responder"):
        state = clock_compute(
            events=case.events.all(),
            promised_days=case.matter_type.promised_days,
            calendar=change.after,
            today=change.today,
        )
        if state.due_date is None or state.due_date == case.due_date:
            continue
        old = case.due_date
        Case.objects.filter(id=case.id).update(due_date=state.due_date, updated_at=timezone.now())
        text = notice_text(
            gettext_noop("%(year)s 年工作日历已录入，办件 %(no)s 的承诺办结日期由 %(old)s 调整为 %(new)s。"),
            {
                "year": change.year,
                "no": case.tracking_no,
                "old": old.isoformat() if old else "—",
                "new": state.due_date.isoformat(),
            },
        )
        _event(case, kind=CaseEvent.Kind.NOTE, actor=change.actor, note=str(text))
        _notify_after_commit(
            [case.handler, case.first_responder],
            key=f"case:{case.id}:calendar:due:{state.due_date.isoformat()}",
            text=text,
            url=case.get_absolute_url(),
        )
        moved += 1
    return moved


def case_correction_deadlines_recompute(change: CalendarChange) -> int:
    """Cases awaiting materials: the correction deadline counted again (an extension keeps its own
    number of working days), the list's copy updated, and the reminders planned anew for the new
    deadline (the old SMS are cancelled: their keys name the old deadline)."""
    moved = 0
    candidates = Commitment.objects.filter(case__status=S.AWAITING_CORRECTION).filter(
        Q(deadline__gte=change.first_day) | Q(deadline_provisional=True)
    )
    for commitment in candidates.select_for_update(of=("self",)).select_related(
        "case", "case__handler", "case__first_responder"
    ):
        case = commitment.case
        signed_on = timezone.localdate(commitment.signed_at)
        new_original = None
        if commitment.original_deadline is not None:
            first = change.recount(signed_on, commitment.original_deadline)
            extension = change.before.count_working_days(commitment.original_deadline, commitment.deadline).days
            result = change.after.add_working_days(first.date, max(extension, 0))
            provisional = first.provisional or result.provisional
            new_original = first.date
        else:
            result = change.recount(signed_on, commitment.deadline)
            provisional = result.provisional
        if result.date == commitment.deadline:
            if provisional != commitment.deadline_provisional:
                Commitment.objects.filter(id=commitment.id).update(deadline_provisional=provisional)
            continue
        old = commitment.deadline
        _reminders_cancel(case)
        commitment.deadline, commitment.deadline_provisional = result.date, provisional
        fields = ["deadline", "deadline_provisional"]
        if new_original is not None:
            commitment.original_deadline = new_original
            fields.append("original_deadline")
        commitment.save(update_fields=fields)
        Case.objects.filter(id=case.id).update(correction_deadline=result.date, updated_at=timezone.now())
        text = notice_text(
            gettext_noop(
                "%(year)s 年工作日历已录入，办件 %(no)s 的补正期限由 %(old)s 调整为 %(new)s，提醒已按新期限重新安排。"
            ),
            {
                "year": change.year,
                "no": case.tracking_no,
                "old": old.isoformat(),
                "new": result.date.isoformat(),
            },
        )
        _event(case, kind=CaseEvent.Kind.NOTE, actor=change.actor, note=str(text))
        case.refresh_from_db()
        reminders_plan(case=case)
        _notify_after_commit(
            [case.handler, case.first_responder],
            key=f"case:{case.id}:calendar:correction:{result.date.isoformat()}",
            text=text,
            url=case.get_absolute_url(),
        )
        moved += 1
    return moved
