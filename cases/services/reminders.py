"""Reminders before a correction deadline (SMS in daytime and phone calls), warnings at 50/80/100 %
of the promised time, and the stall check."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.workdays import WorkCalendar
from notifications.services import notice_send, notice_text, sms_cancel, sms_enqueue
from staff.models import User

from ..models import (
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
    DeadlineWarning,
    ReminderCall,
)
from ..wording import day_month
from ._common import _event, _notify_after_commit, _typed, case_clock

# SMS may only go out in daytime, Asia/Shanghai (the project's TIME_ZONE).
SMS_EARLIEST = time(8, 0)
SMS_LATEST = time(20, 0)
REMINDER_TIME = time(9, 0)  # "the morning of the day"
REMINDER_TEMPLATE = "case_correction_reminder"  # "请于{deadline}前提交"
# The reminder on the deadline day itself: "今天（{deadline}）是补正材料的最后期限" ("请于<today>前" read as too late).
LAST_DAY_TEMPLATE = "case_correction_last_day"


def _reminders_cancel(case: Case) -> None:
    sms_cancel(key_prefix=f"case:{case.id}:correction:")
    ReminderCall.objects.filter(case=case, outcome=ReminderCall.Outcome.PENDING).update(
        outcome=ReminderCall.Outcome.CANCELLED
    )


def daytime(moment: datetime) -> datetime:
    """The same moment if it lies in 08:00–20:00 local time, else the next 08:00."""
    local = timezone.localtime(moment)
    if local.time() < SMS_EARLIEST:
        return local.replace(hour=8, minute=0, second=0, microsecond=0)
    if local.time() >= SMS_LATEST:
        return (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return local


def reminder_key(case: Case, deadline: date, offset: int) -> str:
    return f"case:{case.id}:correction:{deadline.isoformat()}:{offset}"


def reminders_plan(*, case: Case, now: datetime | None = None) -> list[tuple[date, int, datetime | None]]:
    """SMS and phone-call reminders before the correction deadline; idempotent by natural key.

    Returns the plan as (day, offset, SMS send_after or None when it is too late).
    """
    commitment = Commitment.objects.get(case=case)
    now = now or timezone.now()
    calendar = WorkCalendar.load()
    deferred = "、".join(case.materials.filter(state=CaseMaterial.State.DEFERRED).values_list("name", flat=True))
    plan = []
    for offset in case.matter_type.offsets():
        day = calendar.add_working_days(commitment.deadline, -offset).date
        planned = timezone.make_aware(datetime.combine(day, REMINDER_TIME))
        send_after: datetime | None = daytime(max(planned, now))
        if timezone.localtime(send_after).date() > commitment.deadline:
            send_after = None  # the deadline is over before a daytime send is possible
        plan.append((day, offset, send_after))
        if day >= timezone.localdate(now):
            ReminderCall.objects.get_or_create(
                case=case, deadline=commitment.deadline, offset=offset, defaults={"call_on": day}
            )
        if send_after is None or not case.applicant_phone:
            continue
        last_day = timezone.localdate(send_after) == commitment.deadline
        with translation.override(settings.LANGUAGE_CODE):  # the SMS's words, whoever's screen planned it
            deadline_words = day_month(commitment.deadline) if last_day else commitment.deadline.isoformat()
        sms_enqueue(
            key=reminder_key(case, commitment.deadline, offset),
            phone=case.applicant_phone,
            template_code=LAST_DAY_TEMPLATE if last_day else REMINDER_TEMPLATE,
            params={
                "tracking_no": case.tracking_no,
                "materials": deferred,
                "deadline": deadline_words,
                "centre": case.centre.name,
            },
            send_after=send_after,
            centre=case.centre,
        )
    return plan


@transaction.atomic
def reminder_call_record(*, call_id: int, actor: User, outcome: str, note: str = "") -> ReminderCall:
    call = ReminderCall.objects.select_for_update().select_related("case").get(id=call_id)
    if not access.sees_centre(actor, call.case.centre_id):
        raise NotPermitted()
    if outcome not in ReminderCall.Outcome.values or outcome in (
        ReminderCall.Outcome.PENDING,
        ReminderCall.Outcome.CANCELLED,
    ):
        raise ValidationFailed(_("请选择通话结果。"), field="outcome")
    if call.outcome == ReminderCall.Outcome.CANCELLED:
        raise Conflict(_("该电话提醒已取消。"))
    call.outcome, call.note, call.done_by, call.done_at = outcome, _typed(note), actor, timezone.now()
    call.save(update_fields=["outcome", "note", "done_by", "done_at"])
    _event(
        call.case,
        kind=CaseEvent.Kind.NOTE,
        actor=actor,
        note=_("电话提醒：%(outcome)s %(note)s") % {"outcome": call.get_outcome_display(), "note": call.note},
    )
    return call


# --- clock warnings ---------------------------------------------------------------------------

WARNING_PERCENTS = (50, 80, 100)


@transaction.atomic
def case_clock_warn(*, case: Case, calendar: WorkCalendar | None = None, today: date | None = None) -> list[int]:
    """Warn handler and first responder at 50/80/100 % of the promised time; once per level and due date."""
    state = case_clock(case=case, calendar=calendar, today=today)
    if state.state != "running" or state.due_date is None:
        return []
    given = []
    for percent in WARNING_PERCENTS:
        if state.percent < percent:
            break
        try:
            with transaction.atomic():
                _warning, created = DeadlineWarning.objects.get_or_create(
                    case=case, percent=percent, due_date=state.due_date
                )
        except IntegrityError:
            created = False  # another run got there first
        if not created:
            continue
        given.append(percent)
        text = notice_text(
            gettext_noop("办件 %(no)s 已用时 %(pct)s%%（承诺 %(days)s 个工作日，%(due)s 到期）。"),
            {
                "no": case.tracking_no,
                "pct": percent,
                "days": state.promised_days,
                "due": state.due_date.isoformat(),
            },
        )
        _event(case, kind=CaseEvent.Kind.WARNING, actor=None, note=str(text))
        _notify_after_commit(
            [case.handler, case.first_responder],
            key=f"case:{case.id}:clock:{percent}:{state.due_date.isoformat()}",
            text=text,
            url=case.get_absolute_url(),
        )
    return given


STALL_WORKING_DAYS = 3


def case_stall_check(
    *, case: Case, last_event_id: int, last_event_at: datetime, calendar: WorkCalendar, today: date
) -> bool:
    """Tell the first responder (and the handler) when an open case has had no step for 3 working days.

    Once per quiet spell: the key holds the last event, so a new step starts a new spell.
    """
    quiet = calendar.count_working_days(timezone.localdate(last_event_at), today).days
    if quiet < STALL_WORKING_DAYS:
        return False
    key = f"case:{case.id}:stalled:{last_event_id}"
    text = notice_text(
        gettext_noop("办件 %(no)s 已 %(days)s 个工作日没有进展，请跟进。"), {"no": case.tracking_no, "days": quiet}
    )
    for user in {case.first_responder_id: case.first_responder, case.handler_id: case.handler}.values():
        notice_send(recipient=user, key=key, text=text, url=case.get_absolute_url())
    return True
