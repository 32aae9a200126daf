from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from govservice.models import Centre
from knowledge.models import Question, QuestionEvent, SynonymGroup
from knowledge.services import QuestionData, question_create
from staff.models import User


def make_question(
    *,
    centre: Centre,
    author: User,
    question: str,
    answer: str = "请携带相关材料到窗口办理。",
    status: str = Question.Status.PUBLISHED,
    **data: Any,
) -> Question:
    """A question written through the service (so it is indexed and versioned), then put in `status`.

    Tests of the workflow itself walk the transitions; other tests only need a
    question in a given state, so the status is set directly here.
    """
    created = question_create(centre=centre, actor=author, data=QuestionData(question=question, answer=answer, **data))
    if status != Question.Status.DRAFT:
        QuestionEvent.objects.create(
            question=created, old_status=Question.Status.DRAFT, new_status=status, actor=author
        )
        now = timezone.now()
        Question.objects.filter(pk=created.pk).update(
            status=status, status_changed_at=now, published_at=now if status == Question.Status.PUBLISHED else None
        )
        created.refresh_from_db()
    return created


def synonyms(*words: str) -> SynonymGroup:
    return SynonymGroup.objects.create(words=" ".join(words))


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
