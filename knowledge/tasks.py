"""Background work for the knowledge base: workflow notices and the weekly review reminders."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from govservice.roles import ADMIN_ROLES, Role
from govservice.workdays import WorkCalendar
from notifications.services import notice_send, notice_text
from staff.models import User
from staff.selectors import active_staff_of, active_staff_with_roles

from .models import Question, QuestionEvent, ReviewReminder, ReviewTask

# A question or a wrong-answer task waiting longer than this many working days is chased.
REVIEW_OVERDUE_WORKING_DAYS = 5


def reviewers_for(question: Question) -> list[User]:
    """Who acts next on a question in review, or on its open task."""
    people = active_staff_of(centre_id=question.centre_id)
    if question.status == Question.Status.LEGAL_REVIEW:
        people = people.filter(roles__role__in=[Role.LEADER, *ADMIN_ROLES])
    else:
        if question.department_id is not None:
            people = people.filter(roles__role=Role.LIAISON, department_id=question.department_id)
        else:  # what `department_id=None` meant: the liaisons without a department
            people = people.filter(roles__role=Role.LIAISON, department__isnull=True)
        if not people.exists():
            people = active_staff_with_roles(centre_id=question.centre_id, roles=tuple(ADMIN_ROLES))
    return list(people.distinct())


@shared_task(acks_late=True)
def question_event_notify(event_id: int) -> None:
    # Notices are stored text: written in the centre's language, not the requester's.
    with translation.override(settings.LANGUAGE_CODE):
        _question_event_notify(event_id)


def _question_event_notify(event_id: int) -> None:
    event = QuestionEvent.objects.select_related("question").filter(id=event_id).first()
    if event is None:
        return
    question = event.question
    # A merged revision lives on in its original: that is the page to open.
    url = reverse("knowledge:manage-detail", args=[question.revision_of_id if question.merged_at else question.id])
    if event.new_status in Question.REVIEW_STATUSES:
        for person in reviewers_for(question):
            if person.id != event.actor_id:
                notice_send(
                    recipient=person,
                    key=f"knowledge-event:{event.id}",
                    text=notice_text(gettext_noop("问答待审核：%(q)s"), {"q": question.question[:60]}),
                    url=url,
                )
    elif question.author_id and question.author_id != event.actor_id:
        texts: dict[str, str] = {
            Question.Status.PUBLISHED: gettext_noop("您起草的问答已发布：%(q)s"),
            Question.Status.DRAFT: gettext_noop("您起草的问答被退回：%(q)s"),
        }
        text = texts.get(event.new_status)
        if text and question.author is not None:
            notice_send(
                recipient=question.author,
                key=f"knowledge-event:{event.id}",
                text=notice_text(text, {"q": question.question[:60]}),
                url=url,
            )


def _claim(key: str) -> bool:
    """True once per key: the reminder row is the idempotency record."""
    try:
        with transaction.atomic():
            ReviewReminder.objects.create(key=key)
    except IntegrityError:
        return False
    return True


@shared_task(acks_late=True)
def review_queue_remind() -> int:
    with translation.override(settings.LANGUAGE_CODE):
        return _review_queue_remind()


def _review_queue_remind() -> int:
    """Chase questions and wrong-answer tasks that waited more than REVIEW_OVERDUE_WORKING_DAYS.

    Beat runs it daily; each waiting item is chased once per ISO week it is still waiting
    (the key carries the ISO week), so a second run in the same week sends nothing.
    """
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    year, week, _weekday = today.isocalendar()
    sent = 0
    waiting = Question.objects.filter(status__in=Question.REVIEW_STATUSES, status_changed_at__isnull=False)
    for question in waiting.select_related("department"):
        since = timezone.localdate(question.status_changed_at)
        if calendar.count_working_days(since, today).days <= REVIEW_OVERDUE_WORKING_DAYS:
            continue
        key = f"knowledge-remind:q{question.id}:{question.status}:{year}-W{week}"
        if not _claim(key):
            continue
        for person in reviewers_for(question):
            notice_send(
                recipient=person,
                key=key,
                text=notice_text(
                    gettext_noop("问答审核已等待超过 %(days)s 个工作日：%(q)s"),
                    {"days": REVIEW_OVERDUE_WORKING_DAYS, "q": question.question[:60]},
                ),
                url=reverse("knowledge:manage-detail", args=[question.id]),
            )
            sent += 1
    tasks = ReviewTask.objects.filter(status=ReviewTask.Status.OPEN).select_related("question")
    for task in tasks:
        since = timezone.localdate(task.created_at)
        if calendar.count_working_days(since, today).days <= REVIEW_OVERDUE_WORKING_DAYS:
            continue
        key = f"knowledge-remind:t{task.id}:{year}-W{week}"
        if not _claim(key):
            continue
        for person in reviewers_for(task.question):
            notice_send(
                recipient=person,
                key=key,
                text=notice_text(
                    gettext_noop("答复被标记有误，复核已等待超过 %(days)s 个工作日：%(q)s"),
                    {"days": REVIEW_OVERDUE_WORKING_DAYS, "q": task.question.question[:60]},
                ),
                url=reverse("knowledge:manage-detail", args=[task.question_id]),
            )
            sent += 1
    return sent


# On the "imports" queue (CELERY_TASK_ROUTES). Past the soft limit the batch fails with a message;
# past the hard limit the worker kills it and the hourly purge fails the batch and deletes its file.
@shared_task(
    acks_late=True,
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def import_batch_run(batch_id: int) -> None:
    from .importer import import_batch_process

    import_batch_process(batch_id=batch_id)


@shared_task
def import_files_purge() -> int:
    from .importer import import_files_purge as purge

    return purge()
