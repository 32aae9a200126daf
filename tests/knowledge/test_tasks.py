from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from knowledge.models import Question, ReviewTask
from knowledge.services import answer_mark, question_transition
from knowledge.tasks import review_queue_remind
from notifications.models import Notice
from tests.factories.knowledge import make_question

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_review_reminders_chase_what_waited_too_long_once_a_week(
    centre, department, dept_liaison, dept_reviewer, window_staff
):
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=SH), tick=False):  # Monday
        waiting = make_question(
            centre=centre, author=dept_liaison, department_id=department.id, question="等审核的问题", status="draft"
        )
        question_transition(question_id=waiting.id, to=Question.Status.IN_REVIEW, actor=dept_liaison)
        published = make_question(
            centre=centre, author=dept_liaison, department_id=department.id, question="已发布问题"
        )
        answer_mark(question=published, user=window_staff, verdict="wrong", comment="有误")
    with time_machine.travel(datetime(2026, 3, 5, 9, tzinfo=SH), tick=False):  # 3 working days later
        assert review_queue_remind() == 0

    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=SH), tick=False):  # 6 working days later
        first = review_queue_remind()
        again = review_queue_remind()

    assert first == 4  # two liaisons × (one question + one task)
    assert again == 0
    texts = list(Notice.objects.filter(recipient=dept_reviewer).values_list("text", flat=True))
    assert len(texts) == 2 and any("等审核的问题" in t for t in texts) and any("有误" in t for t in texts)

    with time_machine.travel(datetime(2026, 3, 17, 9, tzinfo=SH), tick=False):  # still waiting a week later
        assert review_queue_remind() == 4
    ReviewTask.objects.update(status=ReviewTask.Status.DONE)
    with time_machine.travel(datetime(2026, 3, 24, 9, tzinfo=SH), tick=False):
        assert review_queue_remind() == 2
