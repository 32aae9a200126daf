"""The classification queue: suggestions from words and similar complaints, with their reasons, and
classifying one or many through a confirmation step, all or nothing."""

from __future__ import annotations

import pytest

from complaints.classify import ClassifyItem, complaints_classify_many, suggest, suggestions_for
from complaints.models import Complaint, ComplaintEvent
from complaints.selectors import unclassified_open_for
from govservice.exceptions import DomainError
from rectification.models import Problem
from tests.factories.complaints import ComplaintFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "category", "problem"),
    [
        ("窗口工作人员很不耐烦，态度差，还训斥我", "attitude", "TD-02"),
        ("工作时间玩手机、和同事闲聊，不理人", "discipline", "JL-02"),
        ("排队等了两个小时，叫号太慢", "efficiency", "XL-05"),
        ("问一业一证的新政策，工作人员说不清楚", "ability", "NL-01"),
        ("窗口没人，离岗半小时也没有暂离牌", "discipline", "JL-01"),
    ],
)
def test_words_in_the_text_suggest_the_problem_and_its_category_and_say_so(text, category, problem):
    suggestion = suggest(text)
    assert (suggestion.category, suggestion.problem_code) == (category, problem)
    assert suggestion.words and all(word in text for word in suggestion.words)
    assert problem in suggestion.reasons[0] and suggestion.words[0] in suggestion.reasons[0]


def test_without_words_similar_classified_complaints_decide_and_are_named(centre):
    ComplaintFactory(centre=centre, content="在二楼大厅办理公积金提取被要求重复打印", category="efficiency")
    ComplaintFactory(centre=centre, content="在二楼大厅办理公积金提取被要求重复复印", category="efficiency")
    unrelated = ComplaintFactory(centre=centre, content="停车场收费不合理", category="attitude")
    new = ComplaintFactory(centre=centre, content="在二楼大厅办理公积金提取又被要求重复打印", category="")
    suggestion = suggestions_for([new], [])[new.id]
    assert suggestion.category == "efficiency" and not suggestion.words
    assert unrelated.tracking_no not in "".join(suggestion.reasons)
    assert "%" in suggestion.reasons[0] and "流程效率" in suggestion.reasons[0]


def test_nothing_to_go_on_gives_no_suggestion():
    suggestion = suggest("你好")
    assert suggestion.category == "" and suggestion.reasons == []


def test_the_suggestion_links_the_centres_own_ledger_problem_with_that_code(centre, leader):
    problem = Problem.objects.create(
        centre=centre,
        code="TD-02",
        category="attitude",
        title="解释政策不耐心",
        description="x",
        source="complaint",
        found_on="2026-01-05",
        responsible_leader=leader,
        responsible_person=leader,
    )
    complaint = ComplaintFactory(centre=centre, content="态度很不耐烦", category="")
    assert suggestions_for([complaint], [problem])[complaint.id].problem == problem


def test_the_queue_lists_open_unclassified_complaints_in_scope_oldest_first(centre, other_centre, leader):
    old = ComplaintFactory(centre=centre, category="")
    ComplaintFactory(centre=centre, category="attitude")
    ComplaintFactory(centre=centre, category="", status=Complaint.Status.CLOSED)
    ComplaintFactory(centre=centre, category="", kind=Complaint.Kind.SUGGESTION)
    ComplaintFactory(centre=other_centre, category="")
    new = ComplaintFactory(centre=centre, category="")
    assert list(unclassified_open_for(leader)) == [old, new]


def test_bulk_classification_writes_a_history_row_per_complaint(centre, leader):
    complaints = [ComplaintFactory(centre=centre, category="") for _ in range(3)]
    done = complaints_classify_many(items=[ClassifyItem(c.id, "efficiency") for c in complaints], actor=leader)
    assert len(done) == 3
    assert set(Complaint.objects.filter(id__in=[c.id for c in complaints]).values_list("category", flat=True)) == {
        "efficiency"
    }
    for complaint in complaints:
        assert ComplaintEvent.objects.filter(complaint=complaint, actor=leader, note__contains="流程效率").count() == 1


def test_a_refused_complaint_leaves_the_whole_batch_unclassified(centre, other_centre, leader):
    mine = [ComplaintFactory(centre=centre, category="") for _ in range(2)]
    foreign = ComplaintFactory(centre=other_centre, category="")
    with pytest.raises(DomainError):
        complaints_classify_many(items=[ClassifyItem(c.id, "attitude") for c in [*mine, foreign]], actor=leader)
    assert set(Complaint.objects.values_list("category", flat=True)) == {""}
    assert not ComplaintEvent.objects.filter(note__contains="服务态度").exists()


def test_the_page_confirms_before_classifying_and_then_classifies_the_ticked_ones(client, centre, leader):
    picked = [ComplaintFactory(centre=centre, category="") for _ in range(2)]
    left = ComplaintFactory(centre=centre, category="")
    client.force_login(leader)
    page = client.get("/feedback/complaints/classify/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="classify-row"') == 3
    assert 'type="text"' not in page.content.decode()  # Enter has nothing to send the form from
    confirm = client.post(
        "/feedback/complaints/classify/confirm/", {"ids": [c.id for c in picked], "category": "discipline"}
    )
    assert confirm.status_code == 200
    assert set(Complaint.objects.values_list("category", flat=True)) == {""}  # the first step wrote nothing
    items = [f"{c.id}:discipline:" for c in picked]
    assert all(item in confirm.content.decode() for item in items)
    applied = client.post("/feedback/complaints/classify/apply/", {"item": items})
    assert applied.status_code == 302
    assert list(Complaint.objects.filter(category="discipline").order_by("id")) == picked
    assert Complaint.objects.get(id=left.id).category == ""


def test_one_complaint_takes_its_own_suggestion_through_the_confirmation(client, centre, leader):
    complaint = ComplaintFactory(centre=centre, category="", content="窗口人员玩手机")
    client.force_login(leader)
    confirm = client.post("/feedback/complaints/classify/confirm/", {"one": complaint.id})
    assert f"{complaint.id}:discipline:" in confirm.content.decode()
    client.post("/feedback/complaints/classify/apply/", {"item": [f"{complaint.id}:discipline:"]})
    assert Complaint.objects.get(id=complaint.id).category == "discipline"


def test_errors_are_shown_all_at_once_with_the_input_kept(client, centre, leader):
    complaint = ComplaintFactory(centre=centre, category="")
    client.force_login(leader)
    response = client.post("/feedback/complaints/classify/confirm/", {"category": ""})
    html = response.content.decode()
    assert response.status_code == 400 and "请至少勾选一件投诉" in html and "请选择问题类别" in html
    response = client.post("/feedback/complaints/classify/confirm/", {"ids": [complaint.id], "category": ""})
    assert f'value="{complaint.id}" aria-label="{complaint.tracking_no}" checked' in response.content.decode()


def test_window_staff_cannot_open_the_queue(client, window_staff):
    client.force_login(window_staff)
    assert client.get("/feedback/complaints/classify/").status_code == 403
