from __future__ import annotations

import io

import pytest

from knowledge import demo, selectors
from knowledge.models import Question, SynonymGroup
from staff import demo as staff_demo
from staff.demo import DemoContext
from staff.models import User

pytestmark = pytest.mark.django_db


def test_demo_bank_loads_once_and_answers_colloquial_questions():
    ctx = DemoContext(stdout=io.StringIO(), show_progress=False)
    staff_demo.load(ctx)
    demo.load(ctx)
    counts = (Question.objects.count(), SynonymGroup.objects.count())
    demo.load(ctx)

    assert (Question.objects.count(), SynonymGroup.objects.count()) == counts
    city = Question.objects.filter(centre__code="city")
    assert city.filter(status=Question.Status.PUBLISHED).count() >= 55
    assert city.filter(status=Question.Status.IN_REVIEW).exists()
    staff = User.objects.get(username="city-staff01")
    result = selectors.question_search_for(user=staff, query="房本丢了")
    assert result.hits[0].question.question == "房产证丢了怎么补办"
    result = selectors.question_search_for(user=staff, query="执照 丢了")
    assert result.hits[0].question.question == "营业执照遗失了怎么补办"
