from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from knowledge.models import Question, QuestionEvent, QuestionVersion
from knowledge.services import QuestionData, question_create, question_transition, question_update
from notifications.models import Notice

pytestmark = pytest.mark.django_db
S = Question.Status


@pytest.fixture
def draft(centre, dept_liaison, department):
    return question_create(
        centre=centre,
        actor=dept_liaison,
        data=QuestionData(
            question="食品经营许可证怎么申请", answer="通过一网通办提交申请。", department_id=department.id
        ),
    )


def data(**overrides: Any) -> QuestionData:
    values: dict[str, Any] = {"question": "食品经营许可证怎么申请", "answer": "通过一网通办提交申请。"}
    values.update(overrides)
    return QuestionData(**values)


def test_a_draft_goes_through_department_review_to_published(draft, dept_liaison, dept_reviewer):
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    published = question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer, note="核对无误")

    assert published.status == S.PUBLISHED
    assert published.published_at is not None
    assert list(QuestionEvent.objects.filter(question=draft).values_list("old_status", "new_status", "actor")) == [
        (S.DRAFT, S.IN_REVIEW, dept_liaison.id),
        (S.IN_REVIEW, S.PUBLISHED, dept_reviewer.id),
    ]


def test_a_question_marked_for_legal_review_needs_it_before_publishing(draft, dept_liaison, dept_reviewer, leader):
    Question.objects.filter(id=draft.id).update(needs_legal_review=True)
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)

    with pytest.raises(InvalidTransition):
        question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer)
    question_transition(question_id=draft.id, to=S.LEGAL_REVIEW, actor=dept_reviewer)
    with pytest.raises(NotPermitted):
        question_transition(
            question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer
        )  # liaisons do not sign legal review
    assert question_transition(question_id=draft.id, to=S.PUBLISHED, actor=leader).status == S.PUBLISHED


def test_nobody_approves_their_own_version(draft, dept_liaison):
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)

    with pytest.raises(NotPermitted):
        question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_liaison)


def test_another_departments_liaison_can_neither_edit_nor_review(draft, dept_liaison, other_dept_liaison):
    with pytest.raises(NotPermitted):
        question_update(question_id=draft.id, actor=other_dept_liaison, data=data(answer="改"))
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    with pytest.raises(NotPermitted):
        question_transition(question_id=draft.id, to=S.PUBLISHED, actor=other_dept_liaison)


def test_window_staff_cannot_draft(centre, window_staff, department):
    with pytest.raises(NotPermitted):
        question_create(centre=centre, actor=window_staff, data=data(department_id=department.id))


def test_returning_a_question_needs_a_reason_and_tells_the_author(
    draft, dept_liaison, dept_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    with pytest.raises(ValidationFailed):
        question_transition(question_id=draft.id, to=S.DRAFT, actor=dept_reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        question_transition(question_id=draft.id, to=S.DRAFT, actor=dept_reviewer, note="材料清单不全")

    assert Notice.objects.filter(recipient=dept_liaison, text__contains="退回").count() == 1
    assert Notice.objects.filter(recipient=dept_reviewer, text__contains="待审核").count() == 1


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [(start, to, to in Question.TRANSITIONS[start]) for start in S.values for to in S.values if to != start],
)
def test_every_transition_follows_the_table(centre, department, dept_liaison, dept_reviewer, admin, start, to, allowed):
    question = question_create(
        centre=centre,
        actor=dept_liaison,
        data=data(department_id=department.id, needs_legal_review=(to == S.LEGAL_REVIEW or start == S.LEGAL_REVIEW)),
    )
    Question.objects.filter(id=question.id).update(status=start)
    actor = admin if start == S.LEGAL_REVIEW else (dept_reviewer if start == S.IN_REVIEW else dept_liaison)
    if start == S.IN_REVIEW and to == S.PUBLISHED:
        Question.objects.filter(id=question.id).update(needs_legal_review=False)

    if allowed:
        assert question_transition(question_id=question.id, to=to, actor=actor, note="理由").status == to
    else:
        with pytest.raises(InvalidTransition):
            question_transition(question_id=question.id, to=to, actor=actor, note="理由")
        assert Question.objects.get(id=question.id).status == start


def test_a_repeated_transition_is_a_no_op(draft, dept_liaison):
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)

    assert QuestionEvent.objects.filter(question=draft).count() == 1


def test_every_change_is_a_version_with_its_author(draft, dept_liaison, dept_reviewer, centre_admin, department):
    question_update(
        question_id=draft.id, actor=dept_reviewer, data=data(department_id=department.id, answer="新的答复")
    )
    question_update(
        question_id=draft.id, actor=dept_reviewer, data=data(department_id=department.id, answer="新的答复")
    )
    question_update(
        question_id=draft.id,
        actor=centre_admin,
        data=data(department_id=department.id, answer="新的答复", variants=["食品证怎么办"], tags=["食品"]),
        note="补充相似问法",
    )

    versions = list(QuestionVersion.objects.filter(question=draft).order_by("number"))
    assert [(v.number, v.author_id) for v in versions] == [
        (1, dept_liaison.id),
        (2, dept_reviewer.id),
        (3, centre_admin.id),
    ]
    assert versions[0].snapshot["answer"] == "通过一网通办提交申请。"
    assert versions[1].snapshot["answer"] == "新的答复"
    assert versions[2].snapshot["variants"] == ["食品证怎么办"]
    assert versions[2].note == "补充相似问法"
    assert Question.objects.get(id=draft.id).version == 3


def test_a_published_question_is_not_edited_in_place(draft, dept_liaison, dept_reviewer, department):
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer)

    with pytest.raises(InvalidTransition, match="修订"):
        question_update(question_id=draft.id, actor=dept_liaison, data=data(department_id=department.id, answer="改"))
    # Taking it offline to edit in place is still possible, on purpose (window staff then lose it).
    question_transition(question_id=draft.id, to=S.DRAFT, actor=dept_liaison, note="政策调整")
    question_update(question_id=draft.id, actor=dept_liaison, data=data(department_id=department.id, answer="改"))
    assert Question.objects.get(id=draft.id).answer == "改"


@pytest.fixture
def published(draft, dept_liaison, dept_reviewer):
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)
    return question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer)


def test_a_revision_keeps_the_published_answer_in_front_of_window_staff_until_it_is_approved(
    published, dept_liaison, dept_reviewer, department, window_staff, django_capture_on_commit_callbacks
):
    from knowledge.selectors import question_search_for
    from knowledge.services import question_revise

    revision = question_revise(question_id=published.id, actor=dept_liaison)
    assert question_revise(question_id=published.id, actor=dept_liaison) == revision  # one revision at a time
    assert (revision.status, revision.revision_of_id, revision.answer) == (S.DRAFT, published.id, published.answer)
    question_update(
        question_id=revision.id,
        actor=dept_liaison,
        data=data(department_id=department.id, answer="改为线下窗口办理。", variants=["食品证怎么办"]),
        note="政策调整",
    )
    question_transition(question_id=revision.id, to=S.IN_REVIEW, actor=dept_liaison)

    # While the revision is under way window staff find the published text, and only it.
    hits = question_search_for(user=window_staff, query="食品经营许可证怎么申请", record_miss=False).hits
    assert [(h.question.id, h.question.answer) for h in hits] == [(published.id, "通过一网通办提交申请。")]

    with django_capture_on_commit_callbacks(execute=True):
        merged = question_transition(question_id=revision.id, to=S.PUBLISHED, actor=dept_reviewer, note="核对无误")
    assert merged.id == published.id
    original = Question.objects.get(id=published.id)
    assert (original.status, original.answer, original.version) == (S.PUBLISHED, "改为线下窗口办理。", 2)
    assert list(original.variants.values_list("text", flat=True)) == ["食品证怎么办"]
    latest = original.versions.first()
    assert latest.author == dept_liaison and latest.snapshot["answer"] == "改为线下窗口办理。"
    revision.refresh_from_db()
    assert revision.status == S.RETIRED and revision.merged_at is not None
    assert list(revision.events.values_list("old_status", "new_status", "actor")) == [
        (S.DRAFT, S.IN_REVIEW, dept_liaison.id),
        (S.IN_REVIEW, S.PUBLISHED, dept_reviewer.id),
        (S.PUBLISHED, S.RETIRED, dept_reviewer.id),
    ]
    hits = question_search_for(user=window_staff, query="食品经营许可证怎么申请", record_miss=False).hits
    assert [(h.question.id, h.question.answer) for h in hits] == [(published.id, "改为线下窗口办理。")]
    notice = Notice.objects.get(recipient=dept_liaison)
    assert notice.url == reverse("knowledge:manage-detail", args=[published.id])  # the original, not the copy

    # A merged revision is closed; the next change starts a new one.
    with pytest.raises(InvalidTransition):
        question_transition(question_id=revision.id, to=S.DRAFT, actor=dept_liaison)
    assert question_revise(question_id=published.id, actor=dept_liaison).id != revision.id


def test_a_revision_follows_the_review_rules_and_can_be_discarded(
    published, dept_liaison, dept_reviewer, other_dept_liaison, department
):
    from knowledge.services import question_revise

    with pytest.raises(NotPermitted):
        question_revise(question_id=published.id, actor=other_dept_liaison)
    revision = question_revise(question_id=published.id, actor=dept_liaison)
    with pytest.raises(InvalidTransition):
        question_revise(question_id=revision.id, actor=dept_liaison)  # a revision is not revised again
    question_transition(question_id=revision.id, to=S.IN_REVIEW, actor=dept_liaison)
    with pytest.raises(NotPermitted):
        question_transition(question_id=revision.id, to=S.PUBLISHED, actor=dept_liaison)  # four eyes
    question_transition(question_id=revision.id, to=S.DRAFT, actor=dept_reviewer, note="依据未更新")
    question_transition(question_id=revision.id, to=S.RETIRED, actor=dept_liaison)  # given up
    assert Question.objects.get(id=published.id).answer == "通过一网通办提交申请。"
    assert question_revise(question_id=published.id, actor=dept_liaison).id != revision.id  # a fresh one


def test_the_editor_screens_revise_a_published_question(published, dept_liaison, dept_reviewer, client, department):
    client.force_login(dept_liaison)
    page = client.get(reverse("knowledge:manage-detail", args=[published.id])).content.decode()
    assert 'data-testid="kb-revise"' in page
    response = client.post(reverse("knowledge:manage-revise", args=[published.id]))
    revision = Question.objects.get(revision_of=published)
    assert response.url == reverse("knowledge:manage-edit", args=[revision.id])
    client.post(
        response.url,
        {"question": "食品经营许可证怎么申请", "answer": "线上申请。", "department": department.id, "note": "简化"},
    )
    client.post(reverse("knowledge:manage-transition", args=[revision.id]), {"to": S.IN_REVIEW})
    listing = client.get(reverse("knowledge:manage")).content.decode()
    assert listing.count('data-testid="kb-revision-tag"') == 1
    assert (
        'data-testid="kb-revision-open"'
        in client.get(reverse("knowledge:manage-detail", args=[published.id])).content.decode()
    )

    client.force_login(dept_reviewer)
    response = client.post(reverse("knowledge:manage-transition", args=[revision.id]), {"to": S.PUBLISHED})
    assert response.url == reverse("knowledge:manage-detail", args=[published.id])
    assert Question.objects.get(id=published.id).answer == "线上申请。"
    assert 'data-testid="kb-revision-tag"' not in client.get(reverse("knowledge:manage")).content.decode()


def test_an_expired_question_cannot_be_published(draft, dept_liaison, dept_reviewer, department):
    from tests.factories.knowledge import days_ago

    question_update(
        question_id=draft.id, actor=dept_liaison, data=data(department_id=department.id, policy_repealed_on=days_ago(3))
    )
    question_transition(question_id=draft.id, to=S.IN_REVIEW, actor=dept_liaison)

    with pytest.raises(ValidationFailed):
        question_transition(question_id=draft.id, to=S.PUBLISHED, actor=dept_reviewer)


def test_the_editor_screens_walk_the_workflow(draft, dept_liaison, dept_reviewer, client, department):
    client.force_login(dept_liaison)
    response = client.post(
        reverse("knowledge:manage-edit", args=[draft.id]),
        {"question": "食品经营许可证怎么申请", "answer": "线上申请。", "department": department.id, "note": "简化"},
    )
    assert response.status_code == 302
    client.post(reverse("knowledge:manage-transition", args=[draft.id]), {"to": S.IN_REVIEW})
    client.force_login(dept_reviewer)
    queue = client.get(reverse("knowledge:review-queue")).content.decode()
    assert "食品经营许可证怎么申请" in queue
    client.post(reverse("knowledge:manage-transition", args=[draft.id]), {"to": S.PUBLISHED})

    page = client.get(reverse("knowledge:manage-detail", args=[draft.id])).content.decode()
    assert Question.objects.get(id=draft.id).status == S.PUBLISHED
    assert "简化" in page and "kb-versions" in page


def test_window_staff_do_not_see_the_editor(draft, window_staff, as_user):
    client = as_user(window_staff)

    assert client.get(reverse("knowledge:manage")).status_code == 404
    assert client.get(reverse("knowledge:manage-detail", args=[draft.id])).status_code == 404


def test_a_liaison_drafts_a_question_from_the_editor(dept_liaison, department, client):
    client.force_login(dept_liaison)
    assert client.get(reverse("knowledge:manage-create")).status_code == 200

    response = client.post(
        reverse("knowledge:manage-create"),
        {
            "question": "药店开办需要哪些证",
            "variants": "开药店要办什么\n药店许可",
            "answer": "已纳入一业一证。",
            "department": department.id,
            "tags": "一业一证 药店",
            "needs_legal_review": "on",
        },
    )

    question = Question.objects.get(question="药店开办需要哪些证")
    assert response.status_code == 302
    assert question.needs_legal_review and question.status == S.DRAFT
    assert sorted(question.tags.values_list("name", flat=True)) == ["一业一证", "药店"]
    assert question.variants.count() == 2


def test_the_editor_list_takes_the_same_number_of_queries_for_more_rows(centre, department, dept_liaison, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(dept_liaison)
    client.get(reverse("knowledge:manage"))

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("knowledge:manage"), {"status": "draft"}).status_code == 200
        return len(captured)

    for n in range(3):
        question_create(centre=centre, actor=dept_liaison, data=data(question=f"问题{n}", department_id=department.id))
    few = queries_for_list()
    for n in range(3, 15):
        question_create(centre=centre, actor=dept_liaison, data=data(question=f"问题{n}", department_id=department.id))

    assert queries_for_list() == few  # no query per row (the page's navigation belongs to other apps)


def test_the_workflow_buttons_follow_the_reader_s_language(draft, dept_liaison, client):
    """The labels are built once at import: they must still be translated per request."""
    client.force_login(dept_liaison)
    url = reverse("knowledge:manage-detail", args=[draft.id])
    english = client.get(url, headers={"accept-language": "en"}).content.decode()
    chinese = client.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    assert "提交部门审核" not in english and "提交部门审核" in chinese
    assert "Submit for department review" in english
