from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from knowledge import selectors
from knowledge.models import Question, SearchMiss
from knowledge.search import highlight
from tests.factories.knowledge import days_ago, make_question, synonyms

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(centre, dept_liaison, department):
    def q(text: str, answer: str = "请携带身份证到窗口办理。", **kw):
        return make_question(
            centre=centre, author=dept_liaison, department_id=department.id, question=text, answer=answer, **kw
        )

    return q


def titles(result) -> list[str]:
    return [hit.question.question for hit in result.hits]


def test_finds_a_question_by_its_words_in_another_order(bank, window_staff):
    bank("企业营业执照遗失后如何补办", answer="登报声明作废后，携带身份证到市场监管窗口申请补领。")
    bank("公积金怎么提取", answer="购房、租房、退休可以申请提取住房公积金。")

    result = selectors.question_search_for(user=window_staff, query="补办 遗失 营业执照")

    assert titles(result)[0] == "企业营业执照遗失后如何补办"
    assert "公积金怎么提取" not in titles(result)
    assert result.good


def test_finds_a_question_by_a_configured_synonym(bank, window_staff):
    bank("社会保险关系如何转移到本市", answer="在转入地经办机构申请办理接续手续。")

    assert titles(selectors.question_search_for(user=window_staff, query="社保", record_miss=False)) == []
    synonyms("社保", "社会保险")
    result = selectors.question_search_for(user=window_staff, query="社保转移")

    assert titles(result) == ["社会保险关系如何转移到本市"]
    assert result.hits[0].coverage == 1.0


def test_colloquial_term_finds_the_formal_one(bank, window_staff):
    bank("房屋不动产权证书遗失如何补发", answer="到不动产登记中心申请补发。")
    synonyms("不动产权证书", "房产证", "房本")

    result = selectors.question_search_for(user=window_staff, query="房本丢了")

    assert titles(result) == ["房屋不动产权证书遗失如何补发"]


def test_the_exact_question_is_ranked_first(bank, window_staff):
    # The longer questions repeat the words more often, so only the exact-match rule puts the short one first.
    bank("营业执照营业执照变更经营范围营业执照如何办理营业执照")
    bank("营业执照怎么办理", answer="通过企业开办一网通办平台申请营业执照。")
    bank("个体工商户营业执照怎么办理营业执照注销")

    result = selectors.question_search_for(user=window_staff, query="营业执照怎么办理？")

    assert titles(result)[0] == "营业执照怎么办理"
    assert result.hits[0].exact
    assert not any(hit.exact for hit in result.hits[1:])


def test_a_variant_counts_as_an_exact_match(bank, window_staff):
    bank("住房公积金提取条件", variants=["公积金能取出来吗"])
    bank("公积金取出来要什么条件和材料")

    result = selectors.question_search_for(user=window_staff, query="公积金能取出来吗")

    assert titles(result)[0] == "住房公积金提取条件"


def test_unpublished_and_expired_answers_never_reach_window_staff(bank, window_staff, as_user):
    bank("营业执照年报怎么填 已发布")
    bank("营业执照年报怎么填 草稿", status=Question.Status.DRAFT)
    bank("营业执照年报怎么填 审核中", status=Question.Status.IN_REVIEW)
    bank("营业执照年报怎么填 法制审核", status=Question.Status.LEGAL_REVIEW)
    bank("营业执照年报怎么填 已下线", status=Question.Status.RETIRED)
    expired = bank("营业执照年报怎么填 已过期", valid_from=days_ago(400), valid_until=days_ago(1))
    repealed = bank("营业执照年报怎么填 政策废止", policy_repealed_on=days_ago(0))
    not_yet = bank("营业执照年报怎么填 未生效", valid_from=days_ago(-10))

    result = selectors.question_search_for(user=window_staff, query="营业执照 年报")
    assert titles(result) == ["营业执照年报怎么填 已发布"]

    client = as_user(window_staff)
    api = client.get(reverse("api:knowledge-search"), {"q": "营业执照 年报"}).json()
    assert [r["question"] for r in api["results"]] == ["营业执照年报怎么填 已发布"]
    for hidden in (expired, repealed, not_yet, Question.objects.get(status=Question.Status.DRAFT)):
        assert client.get(reverse("knowledge:question", args=[hidden.id])).status_code == 404
        assert client.get(reverse("api:knowledge-question-detail", args=[hidden.id])).status_code == 404
    page = client.get(reverse("knowledge:search"), {"q": "营业执照 年报"}).content.decode()
    assert "已发布" in page and "草稿" not in page and "已过期" not in page


def test_another_centres_questions_are_not_found(centre, other_centre, foreign_staff, window_staff, bank):
    question = bank("异地就医备案怎么办理")

    assert titles(selectors.question_search_for(user=foreign_staff, query="异地就医备案")) == []
    assert titles(selectors.question_search_for(user=window_staff, query="异地就医备案")) == [question.question]


def test_matched_words_are_highlighted_and_html_is_escaped():
    html = highlight("<b>营业执照</b>怎么办", ["营业执照", "执照"])

    assert html == "&lt;b&gt;<mark>营业执照</mark>&lt;/b&gt;怎么办"


def test_search_results_show_highlights(bank, window_staff, as_user):
    bank("公积金贷款额度<script>怎么算", answer="最高贷款额度按缴存余额倍数计算。")

    hit = selectors.question_search_for(user=window_staff, query="公积金贷款").hits[0]

    assert "<mark>公积金</mark>" in hit.question_html
    assert "&lt;script&gt;" in hit.question_html
    assert "<mark>贷款</mark>" in hit.snippet_html


def test_a_search_without_a_good_answer_is_recorded_once_a_day(bank, window_staff):
    bank("营业执照怎么办理")

    selectors.question_search_for(user=window_staff, query="宠物狗办证")
    selectors.question_search_for(user=window_staff, query="宠物狗 办证")
    selectors.question_search_for(user=window_staff, query="营业执照怎么办理")

    assert list(SearchMiss.objects.values_list("normalized", flat=True)) == ["宠物狗办证"]


def test_the_htmx_search_returns_only_the_results_fragment(bank, window_staff, as_user):
    bank("营业执照怎么办理")
    client = as_user(window_staff)

    response = client.get(reverse("knowledge:search"), {"q": "执照"}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "<mark>执照</mark>" in body


def test_search_page_runs_a_bounded_number_of_queries(bank, window_staff, as_user, django_assert_max_num_queries):
    for n in range(15):
        bank(f"营业执照第{n}类问题怎么办理")
    client = as_user(window_staff)
    client.get(reverse("knowledge:search"), {"q": "营业执照"})  # warm the session and the tokenizer

    with django_assert_max_num_queries(12):
        response = client.get(reverse("knowledge:search"), {"q": "营业执照 办理"}, headers={"HX-Request": "true"})
    assert response.content.decode().count("kb-hit") == 15


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search only")
def test_postgres_uses_the_generated_search_vector(bank, window_staff):
    question = bank("灵活就业人员怎么缴纳社保")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM knowledge_question WHERE id = %s", [question.id])
        vector = cursor.fetchone()[0]
    assert "'灵活就业':" in vector

    result = selectors.question_search_for(user=window_staff, query="社保 灵活就业")
    assert titles(result) == ["灵活就业人员怎么缴纳社保"]
    assert result.hits[0].rank > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search only")
def test_postgres_has_a_gin_index_on_the_search_vector():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'knowledge_question_search_gin'")
        row = cursor.fetchone()
    assert row and "gin" in row[0].lower()


def test_a_large_base_leaves_too_common_words_out_of_the_candidate_query(monkeypatch):
    from knowledge import search as search_module

    counts = {"": 10_000, "办理": 7_800, "营业执照": 360, "执照": 700, "宠物": 0}
    monkeypatch.setattr(search_module, "document_frequencies", lambda words: counts)

    assert search_module.selective_groups([["营业执照", "执照"], ["办理"]]) == [["营业执照", "执照"]]
    # Only common words, or only unknown ones next to them: ask about everything.
    assert search_module.selective_groups([["办理"], ["宠物"]]) == [["办理"], ["宠物"]]
    counts[""] = 1_000  # a small base is never pruned
    assert search_module.selective_groups([["营业执照", "执照"], ["办理"]]) == [["营业执照", "执照"], ["办理"]]


def test_the_search_page_speaks_english(window_staff, as_user, settings):
    client = as_user(window_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    try:
        page = client.get(reverse("knowledge:search"), {"q": "宠物狗办证"}).content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the request left English active in this thread

    assert "Policy Q&amp;A search" in page
    assert "The search was recorded" in page


def test_the_search_box_for_the_home_page_submits_to_the_search_page():
    from django.template.loader import render_to_string

    html = render_to_string("knowledge/_search_box.html")

    assert f'action="{reverse("knowledge:search")}"' in html
    assert 'name="q"' in html
