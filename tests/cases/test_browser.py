"""Done when: a browser logs a case with a deferred material, prints the correction list, sees the reminder queued.

On a desktop and a phone, in Chinese and in English (`ui_page`).
"""

from __future__ import annotations

import re

import pytest

from cases.models import Case
from notifications.models import SmsMessage
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login
from tests.factories.cases import PHONE, VALID_RIC


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_case_with_deferred_material_print_list_and_see_reminder(ui_page, window_staff, matter):
    page = ui_page
    browser_login(page, window_staff)
    page.wait_for_selector("[data-testid=home-heading]")
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    nav(page, "/cases/new/")

    page.select_option("#id_matter_type", str(matter.id))
    secondary = page.get_by_label("住所使用证明")  # htmx swapped in the checklist (material names are data)
    secondary.wait_for()
    assert not secondary.is_checked()  # materials start unticked: staff tick what they hold
    page.get_by_label("营业执照申请书").check()
    page.get_by_label("身份证明").check()
    page.fill("#id_applicant_name", "王小明")
    page.fill("#id_applicant_id_number", VALID_RIC)
    page.fill("#id_applicant_phone", PHONE)
    page.check("#id_is_elderly")
    screen(page, "case-new")
    page.click("[data-testid=accept-deficient]")
    page.get_by_test_id("case-confirm").wait_for()  # the decision is confirmed before anything is written
    assert "住所使用证明" in page.get_by_test_id("confirm-deferred").inner_text()
    screen(page, "case-confirm", photo=False)
    page.click("[data-testid=confirm]")

    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    assert page.get_by_test_id("case-status").inner_text() == tr(page, "待补正", "Awaiting correction")
    pause = page.get_by_test_id("pause-reason").inner_text()
    assert "住所使用证明" in pause and tr(page, "计时暂停", "Clock paused") in pause
    assert "138****1234" in page.get_by_test_id("applicant-phone").inner_text()
    assert PHONE not in page.content()

    # The reminder is queued in the outbox and shown on the case page.
    case = Case.objects.get()
    assert SmsMessage.objects.filter(key__startswith=f"case:{case.id}:correction:", status="queued").count() == 2
    reminders = page.get_by_test_id("reminders")
    assert reminders.get_by_test_id("sms-row").first.inner_text().count(tr(page, "待发送", "Queued")) == 1
    assert reminders.locator("button").first.inner_text() == tr(page, "记录", "Record")  # a call's outcome
    screen(page, "case-detail")

    page.get_by_test_id("correction-list-link").click()
    page.wait_for_url(re.compile(r"/correction-list/$"))
    items = page.get_by_test_id("doc-items").inner_text()
    assert "住所使用证明" in items
    assert case.commitment.deadline.isoformat() in page.get_by_test_id("document").inner_text()
    screen(page, "correction-list")
    page.get_by_test_id("print").click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    assert not page.locator(".sidenav").is_visible()
    assert not page.get_by_test_id("print").is_visible()
    assert page.get_by_test_id("document").is_visible()
    page.screenshot(path=str(page.shots / f"correction-list-print-{page.viewport_name}-{page.language}.png"))
