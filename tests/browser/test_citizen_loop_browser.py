"""Issue 16 ("Shown by"): on a phone, in Chinese and in English, the citizen opens the rating link of the
completion SMS, rates the case, opens the link again and is told it was already used; and looks up a case
awaiting materials with the tracking number and the last four digits of the phone, and sees its timeline.
"""

from __future__ import annotations

import pytest

from cases import services as case_services
from cases.models import Case
from notifications.models import SmsMessage
from tests.browser.ui import screen, tr
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("zh-hans", id="zh"), pytest.param("en", id="en")]


def _logged(handler, *, provided: str) -> Case:
    matter = matter_with_materials(handler.centre, code="LOOP01")
    materials = matter.materials.all()
    return case_services.case_create(
        actor=handler,
        matter_type_id=matter.id,
        provided_material_ids=[m.id for m in materials if provided == "all" or m.is_core],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )


def _data(case: Case) -> tuple[str, ...]:
    """Names an administrator typed (centre, window, matter, materials): data, not UI words."""
    return (case.centre.name, case.matter_type.name, *case.materials.values_list("name", flat=True))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizen_rates_a_completed_case_once_from_the_sms_link(browser_pages, window_staff, language):
    case = _logged(window_staff, provided="all")
    case_services.case_accept(case_id=case.id, actor=window_staff)
    case_services.case_transition(case_id=case.id, to=Case.Status.IN_PROCESS, actor=window_staff)
    case_services.case_transition(case_id=case.id, to=Case.Status.COMPLETED, actor=window_staff, note="已发证")
    sms = SmsMessage.objects.get(key=f"case:{case.id}:completed")
    page = browser_pages.open("phone", language)
    link = page.live_server_url + sms.params["url"].removeprefix("http://127.0.0.1:8000")

    page.goto(link)
    assert case.tracking_no in page.get_by_test_id("rate-target").inner_text()
    screen(page, "case-rating", data=(*_data(case), window_staff.window.name))
    page.get_by_test_id("level-4").click()
    page.get_by_test_id("rate-submit").click()
    page.get_by_test_id("rate-thanks").wait_for()

    page.goto(link)  # the same link again
    used = page.get_by_test_id("link-used")
    assert used.inner_text() == tr(page, "该评价链接已使用过", "This rating link has already been used")
    assert page.locator("input[name=level]").count() == 0
    screen(page, "case-rating-used", data=_data(case))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizen_looks_up_a_case_awaiting_materials_and_sees_its_timeline(browser_pages, window_staff, language):
    case = _logged(window_staff, provided="core")
    secondary = case.materials.get(is_core=False)
    case = case_services.case_accept_with_deficiencies(
        case_id=case.id, actor=window_staff, deferred_material_ids=[secondary.id]
    )
    page = browser_pages.open("phone", language)
    page.goto(f"{page.live_server_url}/cases/progress/")
    page.fill("#id_tracking_no", case.tracking_no.lower())
    page.fill("#id_phone_last4", PHONE[-4:])
    page.locator("[data-testid=progress-form] button[type=submit]").click()

    steps = page.get_by_test_id("timeline-step")
    steps.first.wait_for()
    assert steps.count() == 3
    assert steps.nth(0).locator("strong").inner_text() == tr(page, "收到您的申请", "Your application was received")
    waiting = steps.nth(2).inner_text()
    assert tr(page, "等待补交材料：", "Waiting for the missing materials: ") + secondary.name in waiting
    deadline = case.commitment.deadline
    assert tr(page, f"请于{deadline.month}月{deadline.day}日前补交材料", "Please submit the materials by") in waiting
    assert PHONE not in page.content() and "王小明" not in page.content()
    screen(page, "case-progress-timeline", data=_data(case))
