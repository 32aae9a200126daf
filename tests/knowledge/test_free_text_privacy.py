"""Answer marks and missed searches keep no phone or ID number in clear."""

from __future__ import annotations

import pytest
from django.db import connection

from knowledge.models import AnswerFeedback, SearchMiss
from knowledge.selectors import search_miss_record
from knowledge.services import answer_mark
from tests.factories.knowledge import make_question

pytestmark = pytest.mark.django_db

TEXT = "请回电13912345678 身份证110101199003077774"
NUMBERS = ("13912345678", "110101199003077774")


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - names are ours
        return cursor.fetchone()[0]


def test_a_wrong_mark_comment_is_stored_masked(centre, dept_liaison, department, window_staff):
    question = make_question(centre=centre, author=dept_liaison, department_id=department.id, question="怎么办证")
    mark = answer_mark(question=question, user=window_staff, verdict=AnswerFeedback.Verdict.WRONG, comment=TEXT)
    raw = _raw("knowledge_answerfeedback", "comment", mark.pk)
    assert raw == "请回电139****5678 身份证110101********7774"


def test_a_missed_search_is_stored_masked_and_counted_once(window_staff):
    search_miss_record(user=window_staff, query=TEXT, result_count=0)
    search_miss_record(user=window_staff, query=TEXT, result_count=0)  # the same miss, the same day
    miss = SearchMiss.objects.get()
    for column in ("query", "normalized"):
        raw = _raw("knowledge_searchmiss", column, miss.pk)
        assert not any(number in raw for number in NUMBERS), column
