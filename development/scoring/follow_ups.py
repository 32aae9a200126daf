"""Follow-ups for the bottom places of two locked months in a row, and who may act on them."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre
from govservice.workdays import WorkCalendar
from notifications.services import notice_send, notice_text
from staff.models import User
from staff.selectors import leaders_of, person_get

from ..models import FollowUp, ScoringRun, TrainingEnrolment, previous_month
from .talks import enrolment_for, reminder_talks_for

FOLLOW_UP_WORKING_DAYS = 10


def centre_head(centre: Centre) -> User | None:
    return leaders_of(centre).order_by("username").first()


def follow_ups_for(run: ScoringRun) -> None:
    """A locked month's bottom places: a first bottom month → a reminder talk; bottom in this locked month
    and in the previous locked month → the interview and off-duty training, with a retraining enrolment."""
    previous = ScoringRun.objects.filter(
        centre=run.centre, month=previous_month(run.month), status=ScoringRun.Status.LOCKED
    ).first()
    now_bottom = set(run.scores.filter(is_bottom=True).values_list("staff_id", flat=True))
    before_bottom = (
        set(previous.scores.filter(is_bottom=True).values_list("staff_id", flat=True)) if previous else set()
    )
    due = FollowUp.objects.filter(centre=run.centre, month=run.month)
    qualifying = now_bottom & before_bottom
    head = centre_head(run.centre)
    reminder_talks_for(run, now_bottom - before_bottom, head)
    # An appeal can lift someone out of the bottom: their open follow-ups (and enrolments) are withdrawn.
    withdrawn = due.filter(status=FollowUp.Status.OPEN).exclude(staff_id__in=qualifying)
    TrainingEnrolment.objects.filter(follow_up__in=withdrawn, status=TrainingEnrolment.Status.ENROLLED).update(
        status=TrainingEnrolment.Status.CANCELLED, updated_at=timezone.now()
    )
    withdrawn.update(status=FollowUp.Status.CANCELLED, updated_at=timezone.now())
    if not qualifying:
        return
    deadline = WorkCalendar.load().add_working_days(timezone.localdate(), FOLLOW_UP_WORKING_DAYS).date
    for staff_id in sorted(qualifying):
        for kind in (FollowUp.Kind.INTERVIEW, FollowUp.Kind.TRAINING):
            follow_up, created = FollowUp.objects.get_or_create(
                staff_id=staff_id,
                month=run.month,
                kind=kind,
                defaults={"centre": run.centre, "assignee": head, "due_date": deadline},
            )
            if not created and follow_up.status == FollowUp.Status.CANCELLED:
                follow_up.status = FollowUp.Status.OPEN
                follow_up.save(update_fields=["status", "updated_at"])
            if kind == FollowUp.Kind.TRAINING and follow_up.status == FollowUp.Status.OPEN:
                enrolment_for(follow_up)
            if created and head is not None:
                _notify_follow_up(follow_up, head)


def _notify_follow_up(follow_up: FollowUp, head: User) -> None:

    staff = person_get(person_id=follow_up.staff_id)
    text = notice_text(
        gettext_noop("%(name)s 连续两个月服务之星评分位列末位：请安排%(kind)s，期限 %(due)s。"),
        {
            "name": staff.name,
            "kind": FollowUp.Kind(follow_up.kind).label,
            "due": follow_up.due_date,
        },
    )
    transaction.on_commit(
        lambda: notice_send(recipient=head, key=f"score-follow-up-{follow_up.id}", text=text, url="/scores/centre/")
    )


@transaction.atomic
def follow_up_complete(*, follow_up_id: int, actor: User, outcome: str) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().select_related("centre").get(id=follow_up_id)
    if not access.can_lock_scores(actor, follow_up.centre_id):
        raise NotPermitted()
    if follow_up.status == FollowUp.Status.DONE:
        return follow_up
    if follow_up.status != FollowUp.Status.OPEN:
        raise InvalidTransition(current=follow_up.get_status_display(), requested=str(FollowUp.Status.DONE.label))
    if not outcome.strip():
        raise ValidationFailed(_("请记录约谈或培训的结果。"), field="outcome")
    follow_up.status = FollowUp.Status.DONE
    follow_up.completed_at = timezone.now()
    follow_up.outcome = outcome.strip()
    follow_up.save(update_fields=["status", "completed_at", "outcome", "updated_at"])
    return follow_up
