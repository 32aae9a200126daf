from __future__ import annotations

import pytest
from django.urls import reverse

from knowledge.models import Question, ReviewTask
from tests.factories.knowledge import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(centre, dept_liaison, department):
    return make_question(
        centre=centre,
        author=dept_liaison,
        department_id=department.id,
        question="个体工商户营业执照怎么办理",
        answer="通过一网通办申请，当场发照。",
        variants=["开小店要办什么证"],
        tags=["企业开办"],
        policy_document="促进个体工商户发展条例",
        policy_article="第十条",
    )


def test_search_api_returns_ranked_highlighted_results(question, window_staff, as_user):
    response = as_user(window_staff).get(reverse("api:knowledge-search"), {"q": "营业执照 个体工商户"})

    body = response.json()
    assert response.status_code == 200
    assert body["good"] is True
    assert body["results"][0]["id"] == question.id
    assert "<mark>营业执照</mark>" in body["results"][0]["question_html"]
    assert body["results"][0]["department"] == "市场监管局"


def test_search_api_requires_a_query(window_staff, as_user):
    response = as_user(window_staff).get(reverse("api:knowledge-search"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "q" in response.json()["errors"]


def test_detail_api_returns_the_answer_with_its_basis(question, window_staff, as_user):
    body = as_user(window_staff).get(reverse("api:knowledge-question-detail", args=[question.id])).json()

    assert body["variants"] == ["开小店要办什么证"]
    assert body["tags"] == ["企业开办"]
    assert body["policy_document"] == "促进个体工商户发展条例"


def test_detail_api_hides_another_centres_question(question, foreign_staff, as_user):
    response = as_user(foreign_staff).get(reverse("api:knowledge-question-detail", args=[question.id]))

    assert response.status_code == 404


def test_feedback_api_marks_wrong_and_opens_a_task(question, window_staff, as_user):
    url = reverse("api:knowledge-question-feedback", args=[question.id])
    client = as_user(window_staff)

    missing = client.post(url, {"verdict": "wrong"}, content_type="application/json")
    response = client.post(url, {"verdict": "wrong", "comment": "地址已搬迁"}, content_type="application/json")

    assert missing.status_code == 400 and missing.json()["errors"]["comment"]
    assert response.status_code == 201
    assert response.json()["review_task_open"] is True
    assert ReviewTask.objects.filter(question=question, status="open").count() == 1


def test_feedback_api_refuses_an_unpublished_question(question, window_staff, as_user):
    Question.objects.filter(id=question.id).update(status=Question.Status.DRAFT)

    response = as_user(window_staff).post(
        reverse("api:knowledge-question-feedback", args=[question.id]),
        {"verdict": "helpful"},
        content_type="application/json",
    )

    assert response.status_code == 404


def test_the_api_needs_a_login(client):
    assert client.get(reverse("api:knowledge-search"), {"q": "执照"}).status_code in (401, 403)


def test_the_openapi_schema_documents_the_knowledge_api(admin, as_user):
    schema = as_user(admin).get(reverse("api-schema"), {"format": "json"}).json()

    assert "/api/v1/knowledge/search/" in schema["paths"]
    assert "/api/v1/knowledge/questions/{question_id}/feedback/" in schema["paths"]


def test_for_matter_type_lists_linked_published_questions(question, centre, window_staff, as_user, department):
    from cases.models import MatterType

    matter = MatterType.objects.create(
        centre=centre, department=department, code="GT-01", name="个体工商户登记", promised_days=1, correction_days=1
    )
    question.matter_types.add(matter)
    make_question(
        centre=centre,
        author=question.author,
        department_id=department.id,
        question="草稿问题",
        status=Question.Status.DRAFT,
    ).matter_types.add(matter)

    page = as_user(window_staff).get(reverse("knowledge:for-matter", args=[matter.id])).content.decode()

    assert "个体工商户营业执照怎么办理" in page and "草稿问题" not in page
    assert "<html" not in page
    selected = as_user(window_staff).get(reverse("knowledge:for-matter-selected"), {"matter_type": matter.id})
    assert "个体工商户营业执照怎么办理" in selected.content.decode()
    assert as_user(window_staff).get(reverse("knowledge:for-matter-selected")).content == b""


def test_for_matter_type_of_another_centre_is_not_found(centre, other_centre, foreign_staff, as_user):
    from cases.models import MatterType

    matter = MatterType.objects.create(centre=centre, code="X-1", name="某事项", promised_days=1, correction_days=1)

    assert as_user(foreign_staff).get(reverse("knowledge:for-matter", args=[matter.id])).status_code == 404


def test_a_malformed_knowledge_api_path_gets_the_json_error_shape(window_staff, as_user):
    response = as_user(window_staff).post(
        "/api/v1/knowledge/questions/null,null/feedback/", {}, content_type="application/json"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
