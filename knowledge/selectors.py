"""Scoped reads for the knowledge base; the dashboard's accuracy figures.

Window staff (and the search, the API and the case screen for everyone) only
ever see questions that are published, within their validity dates and not
based on a repealed policy: `answerable_for`. Editors see drafts through
`question_list_for_editor` and the review queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from govservice import access
from govservice.models import Department
from govservice.selectors import no_departments
from staff.models import User
from staff.selectors import department_list_for, scope_to_user

from . import search as search_module
from .models import AnswerFeedback, Question, ReviewTask, SearchMiss
from .segment import normalize


def current_q(on: date) -> Q:
    return (
        Q(status=Question.Status.PUBLISHED)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        & (Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        & (Q(policy_repealed_on__isnull=True) | Q(policy_repealed_on__gt=on))
    )


def answerable_for(*, user: User, on: date | None = None) -> QuerySet[Question]:
    """Questions this user may be given as an answer: published, current, in their centre."""
    on = on or timezone.localdate()
    return scope_to_user(Question.objects.filter(current_q(on)), user)


def question_search_for(
    *, user: User, query: str, limit: int = 20, record_miss: bool = True
) -> search_module.SearchResult:
    result = search_module.search(answerable_for(user=user), query, limit=limit)
    if record_miss and result.query and not result.good and user.centre_id:
        search_miss_record(user=user, query=result.query, result_count=len(result.hits))
    return result


def search_miss_record(*, user: User, query: str, result_count: int) -> None:
    norm = normalize(query)[:200]
    if len(norm) < 2 or user.centre_id is None:  # a miss is counted for a centre; without one there is none
        return
    SearchMiss.objects.get_or_create(
        centre_id=user.centre_id,
        user=user,
        normalized=norm,
        day=timezone.localdate(),
        defaults={"query": query[:200], "result_count": result_count},
    )


def question_get_for(*, user: User, question_id: int) -> Question:
    """A question to read. Editors and reviewers may open any of their centre's; others only answerable ones."""
    base = Question.objects.all() if access.can_review_any_question(user) else answerable_for(user=user)
    try:
        return (
            scope_to_user(base, user)
            .select_related("department", "centre", "author")
            .prefetch_related("variants", "tags", "matter_types")
            .get(id=question_id)
        )
    except Question.DoesNotExist as exc:
        raise Http404 from exc


def answerable_get_for(*, user: User, question_id: int) -> Question:
    try:
        return (
            answerable_for(user=user)
            .select_related("department")
            .prefetch_related("variants", "tags", "matter_types")
            .get(id=question_id)
        )
    except Question.DoesNotExist as exc:
        raise Http404 from exc


def questions_for_matter_type(*, user: User, matter_type_id: int, limit: int = 20) -> QuerySet[Question]:
    return (
        answerable_for(user=user)
        .filter(matter_types__id=matter_type_id)
        .select_related("department")
        .order_by("question")
        .distinct()[:limit]
    )


def question_list_for_editor(*, user: User, status: str = "", department_id: int | None = None) -> QuerySet[Question]:
    if not access.can_review_any_question(user):
        return Question.objects.none()
    # A merged revision lives on in its original: listing it again would only repeat the question.
    queryset = (
        scope_to_user(Question.objects.filter(merged_at__isnull=True), user)
        .select_related("department", "centre")
        .annotate(
            under_revision=Exists(
                Question.objects.filter(revision_of=OuterRef("pk"), merged_at__isnull=True).exclude(
                    status=Question.Status.RETIRED
                )
            )
        )
    )
    if status:
        queryset = queryset.filter(status=status)
    if department_id:
        queryset = queryset.filter(department_id=department_id)
    return queryset.order_by("-updated_at")


def departments_for_editor(*, user: User) -> QuerySet[Department]:
    if not access.can_review_any_question(user):
        return no_departments()
    return department_list_for(user=user).select_related("centre").order_by("centre__code", "code")


@dataclass(frozen=True)
class ReviewQueue:
    department: Department
    awaiting_review: list[Question]
    review_tasks: list[ReviewTask]
    changed_this_week: list[Question]
    week_start: date


def review_queue_for(*, user: User, department: Department, on: date | None = None) -> ReviewQueue:
    """The weekly review queue of one department: questions in review, open wrong-answer tasks, this week's changes."""
    on = on or timezone.localdate()
    week_start = on - timedelta(days=on.weekday())
    scoped = scope_to_user(Question.objects.filter(department=department), user).select_related("department")
    awaiting = list(scoped.filter(status__in=Question.REVIEW_STATUSES).order_by("status_changed_at"))
    tasks = list(
        ReviewTask.objects.filter(question__in=scoped, status=ReviewTask.Status.OPEN)
        .select_related("question", "raised_by")
        .order_by("created_at")
    )
    start = timezone.make_aware(datetime.combine(week_start, datetime.min.time()))
    changed = list(
        scoped.filter(updated_at__gte=start).exclude(status__in=Question.REVIEW_STATUSES).order_by("-updated_at")[:50]
    )
    return ReviewQueue(department, awaiting, tasks, changed, week_start)


# --- dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyStats:
    helpful: int
    wrong: int
    rate: float | None  # helpful ÷ (helpful + wrong), None without marks
    published_questions: int
    open_review_tasks: int
    top_unanswered: list[UnansweredSearch]


@dataclass(frozen=True)
class UnansweredSearch:
    query: str
    searches: int


def _bounds(since: date | datetime, until: date | datetime) -> tuple[datetime, datetime]:
    def aware(value: date | datetime, *, end: bool) -> datetime:
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value)
        moment = datetime.combine(value + timedelta(days=1) if end else value, datetime.min.time())
        return timezone.make_aware(moment)

    return aware(since, end=False), aware(until, end=True)


def unanswered_searches_for(
    *, centre_ids: list[int], since: date, until: date, limit: int = 10
) -> list[UnansweredSearch]:
    """The most frequent searches without a good answer (each person counted once a day)."""
    since_day = since.date() if isinstance(since, datetime) else since
    until_day = until.date() if isinstance(until, datetime) else until
    rows = (
        SearchMiss.objects.filter(centre_id__in=centre_ids, day__gte=since_day, day__lte=until_day)
        .values("normalized")
        .annotate(searches=Count("id"), query=Max("query"))
        .order_by("-searches", "normalized")[:limit]
    )
    return [UnansweredSearch(query=row["query"], searches=row["searches"]) for row in rows]


def accuracy_for(*, centre_ids: list[int], since: date | datetime, until: date | datetime) -> AccuracyStats:
    """Answer accuracy for the dashboard: helpful ÷ (helpful + wrong) of the marks made in [since, until].

    `since` / `until` are dates (whole days, inclusive) or aware datetimes. Three aggregate queries.
    """
    start, end = _bounds(since, until)
    marks = AnswerFeedback.objects.filter(centre_id__in=centre_ids, marked_at__gte=start, marked_at__lt=end).aggregate(
        helpful=Count("id", filter=Q(verdict=AnswerFeedback.Verdict.HELPFUL)),
        wrong=Count("id", filter=Q(verdict=AnswerFeedback.Verdict.WRONG)),
    )
    today = timezone.localdate()
    sizes = Question.objects.filter(centre_id__in=centre_ids).aggregate(
        published=Count("id", filter=current_q(today), distinct=True),
        open_tasks=Count("review_tasks", filter=Q(review_tasks__status=ReviewTask.Status.OPEN), distinct=True),
    )
    helpful, wrong = marks["helpful"], marks["wrong"]
    total = helpful + wrong
    return AccuracyStats(
        helpful=helpful,
        wrong=wrong,
        rate=round(helpful / total, 4) if total else None,
        published_questions=sizes["published"],
        open_review_tasks=sizes["open_tasks"],
        top_unanswered=unanswered_searches_for(centre_ids=centre_ids, since=since, until=until),
    )
