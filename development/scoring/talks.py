"""The reminder talk (提醒谈话) after a first bottom month, and the retraining enrolment after a second.

A locked month's bottom places that were not bottom in the previous locked month get a reminder talk
with the centre head, due in the scheme version's number of working days and announced by a notice;
the leader records when it was held and what was said. Every step is a history row.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.workdays import WorkCalendar
from notifications.services import notice_send, notice_text
from staff.models import User
from staff.selectors import person_get

from ..models import FollowUp, ReminderTalk, ReminderTalkEvent, ScoringRun, TrainingEnrolment, TrainingSession

TALKS_URL = "/scores/centre/#reminder-talks"


def reminder_talks_for(run: ScoringRun, first_bottom: set[int], head: User | None) -> None:
    """Raise a talk for each first bottom month; withdraw open ones an appeal lifted out of the bottom."""
    for talk in ReminderTalk.objects.filter(
        centre=run.centre, month=run.month, status=ReminderTalk.Status.OPEN
    ).exclude(staff_id__in=first_bottom):
        _move(talk, ReminderTalk.Status.CANCELLED, actor=None, note=_("申诉更正后不再位列末位"))
        talk.save(update_fields=["status", "updated_at"])
    if not first_bottom:
        return
    days = run.scheme.talk_working_days if run.scheme is not None else 5
    due = WorkCalendar.load().add_working_days(timezone.localdate(), days).date
    for staff_id in sorted(first_bottom):
        talk, created = ReminderTalk.objects.get_or_create(
            staff_id=staff_id,
            month=run.month,
            defaults={"centre": run.centre, "leader": head, "due_date": due},
        )
        if created:
            ReminderTalkEvent.objects.create(
                talk=talk, new_status=talk.status, note=_("首次位列末位，安排提醒谈话，期限 %(due)s") % {"due": due}
            )
            if head is not None:
                _notify(talk, head)
        elif talk.status == ReminderTalk.Status.CANCELLED:
            _move(talk, ReminderTalk.Status.OPEN, actor=None, note=_("重新计算后再次位列末位"))
            talk.save(update_fields=["status", "updated_at"])


def _notify(talk: ReminderTalk, head: User) -> None:
    staff = person_get(person_id=talk.staff_id)
    text = notice_text(
        gettext_noop("%(name)s %(month)s 服务之星评分首次位列末位：请在 %(due)s 前进行提醒谈话并记录。"),
        {
            "name": staff.name,
            "month": f"{talk.month:%Y-%m}",
            "due": talk.due_date,
        },
    )
    transaction.on_commit(lambda: notice_send(recipient=head, key=f"reminder-talk-{talk.id}", text=text, url=TALKS_URL))


def _move(talk: ReminderTalk, to: str, *, actor: User | None, note: str) -> None:
    ReminderTalkEvent.objects.create(talk=talk, actor=actor, old_status=talk.status, new_status=to, note=note)
    talk.status = to


@transaction.atomic
def reminder_talk_record(*, talk_id: int, actor: User, notes: str, held_at: datetime | None = None) -> ReminderTalk:
    """The leader records the talk: when it was held and what was said."""
    talk = ReminderTalk.objects.select_for_update().get(id=talk_id)
    if not access.can_lock_scores(actor, talk.centre_id):
        raise NotPermitted(_("只有中心领导可以记录提醒谈话。"))
    if talk.status == ReminderTalk.Status.DONE:
        return talk
    if talk.status != ReminderTalk.Status.OPEN:
        raise InvalidTransition(current=talk.get_status_display(), requested=str(ReminderTalk.Status.DONE.label))
    if not notes.strip():
        raise ValidationFailed(_("请记录谈话内容。"), field="notes")
    held_at = held_at or timezone.now()
    if held_at > timezone.now():
        raise ValidationFailed(_("谈话时间不能晚于现在。"), field="held_at")
    _move(talk, ReminderTalk.Status.DONE, actor=actor, note=notes.strip())
    talk.done_at = held_at
    talk.notes = notes.strip()
    if talk.leader_id is None:
        talk.leader = actor
    talk.save(update_fields=["status", "done_at", "notes", "leader", "updated_at"])
    return talk


def enrolment_for(follow_up: FollowUp) -> TrainingEnrolment:
    """The retraining enrolment of an off-duty training follow-up (the two point at each other)."""
    enrolment, created = TrainingEnrolment.objects.get_or_create(
        follow_up=follow_up, defaults={"centre_id": follow_up.centre_id, "staff_id": follow_up.staff_id}
    )
    if not created and enrolment.status == TrainingEnrolment.Status.CANCELLED:
        enrolment.status = TrainingEnrolment.Status.ENROLLED
        enrolment.save(update_fields=["status", "updated_at"])
    return enrolment


@transaction.atomic
def training_enrolment_assign(*, enrolment_id: int, session_id: int, actor: User) -> TrainingEnrolment:
    """A manager puts a retraining enrolment on a session of the centre."""
    enrolment = TrainingEnrolment.objects.select_for_update().get(id=enrolment_id)
    if not access.can_manage_centre(actor, enrolment.centre_id):
        raise NotPermitted()
    if enrolment.status != TrainingEnrolment.Status.ENROLLED:
        raise InvalidTransition(current=enrolment.get_status_display(), requested=_("安排场次"))
    session = TrainingSession.objects.filter(id=session_id, centre_id=enrolment.centre_id).first()
    if session is None:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="session")
    enrolment.session = session
    enrolment.save(update_fields=["session", "updated_at"])
    return enrolment


def enrolment_attended(*, session: TrainingSession, staff_id: int, actor: User | None) -> None:
    """A sign-in at the session an enrolment was put on: the enrolment is attended, its follow-up done."""
    for enrolment in TrainingEnrolment.objects.select_for_update().filter(
        session=session, staff_id=staff_id, status=TrainingEnrolment.Status.ENROLLED
    ):
        enrolment.status = TrainingEnrolment.Status.ATTENDED
        enrolment.save(update_fields=["status", "updated_at"])
        FollowUp.objects.filter(id=enrolment.follow_up_id, status=FollowUp.Status.OPEN).update(
            status=FollowUp.Status.DONE,
            completed_at=timezone.now(),
            outcome=_("已参加离岗培训：%(session)s") % {"session": session},
            updated_at=timezone.now(),
        )
