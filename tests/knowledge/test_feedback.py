from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from govservice.exceptions import ValidationFailed
from knowledge import selectors
from knowledge.models import AnswerFeedback, ReviewTask
from knowledge.selectors import accuracy_for
from knowledge.services import answer_mark, review_task_resolve
from tests.factories.knowledge import make_question
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def question(centre, dept_liaison, department):
    return make_question(centre=centre, author=dept_liaison, department_id=department.id, question="营业执照怎么办理")


def staff(centre, n: int):
    return [UserFactory(centre=centre, roles=["window_staff"]) for _ in range(n)]


def test_a_wrong_mark_opens_one_review_task_per_question(question, window_staff, other_window_staff):
    answer_mark(question=question, user=window_staff, verdict="wrong", comment="材料清单已更新")
    answer_mark(question=question, user=other_window_staff, verdict="wrong", comment="网址变了")

    task = ReviewTask.objects.get()
    assert task.status == ReviewTask.Status.OPEN
    assert "材料清单已更新" in task.reason and "网址变了" in task.reason


def test_a_wrong_mark_needs_a_comment(question, window_staff):
    with pytest.raises(ValidationFailed):
        answer_mark(question=question, user=window_staff, verdict="wrong", comment=" ")


def test_a_second_mark_by_the_same_person_replaces_the_first(question, window_staff):
    answer_mark(question=question, user=window_staff, verdict="helpful")
    answer_mark(question=question, user=window_staff, verdict="wrong", comment="有误")

    assert list(AnswerFeedback.objects.values_list("verdict", flat=True)) == ["wrong"]


def test_resolving_a_task_closes_it_and_a_new_wrong_mark_opens_another(question, window_staff, dept_reviewer):
    answer_mark(question=question, user=window_staff, verdict="wrong", comment="有误")
    review_task_resolve(task_id=ReviewTask.objects.get().id, actor=dept_reviewer, resolution="已核实并修改")
    answer_mark(question=question, user=window_staff, verdict="wrong", comment="仍有误")

    assert sorted(ReviewTask.objects.values_list("status", flat=True)) == ["done", "open"]


def test_accuracy_is_helpful_over_helpful_plus_wrong(centre, other_centre, question, dept_liaison):
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=SH), tick=False):
        for person in staff(centre, 6):
            answer_mark(question=question, user=person, verdict="helpful")
        for person in staff(centre, 2):
            answer_mark(question=question, user=person, verdict="wrong", comment="有误")
    with time_machine.travel(datetime(2026, 4, 2, 10, tzinfo=SH), tick=False):
        for person in staff(centre, 2):
            answer_mark(question=question, user=person, verdict="wrong", comment="有误")

    march = accuracy_for(centre_ids=[centre.id], since=date(2026, 3, 1), until=date(2026, 3, 31))
    both = accuracy_for(centre_ids=[centre.id], since=date(2026, 3, 1), until=date(2026, 4, 30))
    elsewhere = accuracy_for(centre_ids=[other_centre.id], since=date(2026, 3, 1), until=date(2026, 4, 30))

    assert (march.helpful, march.wrong, march.rate) == (6, 2, 0.75)
    assert (both.helpful, both.wrong, both.rate) == (6, 4, 0.6)
    assert elsewhere.rate is None and elsewhere.helpful == 0
    assert both.published_questions == 1
    assert both.open_review_tasks == 1


def test_accuracy_reports_the_top_unanswered_searches(centre, question, window_staff, other_window_staff):
    for user in (window_staff, other_window_staff):
        selectors.question_search_for(user=user, query="宠物狗办证")
    selectors.question_search_for(user=window_staff, query="无人机备案")

    stats = accuracy_for(centre_ids=[centre.id], since=date.today(), until=date.today())

    assert [(u.query, u.searches) for u in stats.top_unanswered] == [("宠物狗办证", 2), ("无人机备案", 1)]


def test_accuracy_takes_a_few_aggregate_queries(centre, question, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        accuracy_for(centre_ids=[centre.id], since=date(2026, 1, 1), until=date(2026, 12, 31))


def test_the_question_page_marks_an_answer(question, window_staff, as_user):
    client = as_user(window_staff)

    response = client.post(
        reverse("knowledge:question-feedback", args=[question.id]), {"verdict": "wrong", "comment": "电话变了"}
    )

    assert response.status_code == 302
    assert ReviewTask.objects.filter(question=question).count() == 1
    assert "您已标记为" in client.get(reverse("knowledge:question", args=[question.id])).content.decode()
