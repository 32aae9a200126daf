"""A real browser: window staff search from the home page, read an answer and mark it."""

from __future__ import annotations

import pytest

from knowledge.models import AnswerFeedback, ReviewTask
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login
from tests.factories.knowledge import make_question, synonyms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bank(centre, dept_liaison, department):
    synonyms("营业执照", "执照")
    make_question(
        centre=centre,
        author=dept_liaison,
        department_id=department.id,
        question="营业执照遗失了怎么补办",
        answer="发布遗失声明后到市场监管窗口申请补领营业执照。",
    )
    make_question(centre=centre, author=dept_liaison, department_id=department.id, question="公积金怎么提取")


def test_window_staff_search_live_from_the_home_page_and_mark_an_answer(page, window_staff, bank):
    browser_login(page, window_staff)
    page.wait_for_selector("[data-testid=home-heading]")
    page.click("a.card-link:has-text('政策问答检索')")
    page.wait_for_url("**/knowledge/")
    page.wait_for_load_state("load")  # htmx (a deferred script) must be listening before typing

    page.fill("[data-testid=kb-search-input]", "执照 丢了 补办")
    page.wait_for_selector("[data-testid=kb-results] mark")
    first = page.locator("[data-testid=kb-results] li").first
    assert "营业执照遗失了怎么补办" in first.inner_text()
    assert page.locator("[data-testid=kb-results] li").count() == 1
    assert "q=" in page.url  # the live search keeps the address shareable

    first.locator("a").click()
    page.wait_for_selector("[data-testid=kb-question]")
    page.fill("#kb-comment", "窗口地址已变")
    page.click("button[value=wrong]")
    page.wait_for_selector("text=您已标记为")
    assert AnswerFeedback.objects.get().verdict == "wrong"
    assert ReviewTask.objects.filter(status="open").count() == 1


def test_a_search_with_no_answer_says_so(page, window_staff, bank):
    browser_login(page, window_staff)
    page.goto(f"{page.live_server_url}/knowledge/", wait_until="load")
    page.fill("[data-testid=kb-search-input]", "宠物狗办证")
    page.wait_for_selector("[data-testid=kb-no-result]")


def test_window_staff_search_the_knowledge_base_from_the_case_screen(
    ui_page, window_staff, centre, department, dept_liaison, bank
):
    from cases import services as case_services
    from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials

    matter = matter_with_materials(centre, code="QYKB009", name="营业执照补领")
    make_question(
        centre=centre,
        author=dept_liaison,
        department_id=department.id,
        question="补领营业执照要带哪些材料",
        matter_type_ids=[matter.id],
    )
    case = case_services.case_create(
        actor=window_staff,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in matter.materials.all()],
        applicant_kind="person",
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )

    page = ui_page
    browser_login(page, window_staff)
    page.wait_for_selector("[data-testid=home-heading]")
    nav(page, "/cases/")
    page.click(f"text={case.tracking_no}")
    page.wait_for_url(f"**/cases/{case.public_id}/")
    page.wait_for_load_state("load")
    panel = page.get_by_test_id("kb-for-matter")  # loaded by htmx after the page
    panel.wait_for()
    assert panel.locator("h2").inner_text() == tr(page, "“营业执照补领”常见问答", "Common questions on “营业执照补领”")
    assert [li.inner_text() for li in panel.locator("li").all()] == ["补领营业执照要带哪些材料 市场监管局"]
    screen(page, "case-knowledge", data=("登记",))  # the history note of the case logged above

    panel.locator("input[name=q]").fill("执照 丢了")
    panel.locator("input[name=q]").press("Enter")
    page.wait_for_selector("[data-testid=kb-for-matter] li:has-text('营业执照遗失了怎么补办')")
    assert page.url.endswith(f"/cases/{case.public_id}/")  # the search stayed on the case screen
    link = page.get_by_test_id("kb-for-matter").get_by_role("link", name="营业执照遗失了怎么补办")
    with page.context.expect_page() as opened:
        link.click()
    answer = opened.value
    answer.wait_for_selector("[data-testid=kb-question]")
    assert "发布遗失声明" in answer.content()
    screen(answer, "knowledge-answer")
