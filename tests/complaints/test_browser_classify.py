"""A leader works through the classification queue in the browser: Enter decides nothing, the
confirmation page does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint
from tests.browser.ui import screen, tr
from tests.conftest import browser_login
from tests.factories.complaints import ComplaintFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bulk_classification_needs_the_confirmation_and_enter_sends_nothing(browser_pages, language, centre, leader):
    picked = ComplaintFactory(centre=centre, category="", content="窗口人员玩手机，不理人")
    other = ComplaintFactory(centre=centre, category="", content="排队等了很久")
    page = browser_pages.open("desktop", language)
    browser_login(page, leader)
    page.goto(page.live_server_url + reverse("complaints:classify-queue"))
    screen(page, "classify-queue", data=("窗口人员玩手机，不理人", "排队等了很久", "玩手机", "排队", "等了"))
    page.check(f"input[name=ids][value='{picked.id}']")
    page.select_option("[data-testid=bulk-category]", "discipline")
    page.focus("[data-testid=bulk-category]")
    page.keyboard.press("Enter")
    page.focus(f"input[name=ids][value='{picked.id}']")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")  # a form Enter had sent would be on its way by now
    assert page.url.endswith(reverse("complaints:classify-queue"))  # still the queue: nothing sent
    assert page.locator("[data-testid=confirm-table]").count() == 0
    page.click("[data-testid=bulk-classify]")
    page.wait_for_selector("[data-testid=confirm-table]")
    assert Complaint.objects.get(id=picked.id).category == ""  # the confirmation page wrote nothing
    page.click("[data-testid=confirm-classify]")
    page.wait_for_selector("[data-testid=classify-table]")
    assert tr(page, "已归类 1 件投诉。", "Complaints classified: 1.") in page.content()
    assert Complaint.objects.get(id=picked.id).category == "discipline"
    assert Complaint.objects.get(id=other.id).category == ""
