"""In the browser: a leader sees the unread-notice badge, opens a notice, and filters the outbox to failures."""

from __future__ import annotations

import pytest

from notifications import services
from notifications.models import SmsMessage
from tests.conftest import browser_login
from tests.factories.notifications import SmsMessageFactory

PHONE = "13912345678"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_leader_follows_a_notice_to_the_failed_messages_of_the_centre(page, leader, centre):
    SmsMessageFactory(centre=centre, phone=PHONE, status=SmsMessage.Status.FAILED, key="case:9:2026-03-06:0")
    SmsMessageFactory(centre=centre, status=SmsMessage.Status.DELIVERED, key="case:8:2026-03-06:0")
    services.notice_send(
        recipient=leader, key="sms-failed", text="有短信发送失败", url="/notifications/messages/?status=failed"
    )
    browser_login(page, leader)
    # Let each page finish (favicon included) before leaving it: an aborted request fails the fixture.
    page.wait_for_load_state("networkidle")
    page.goto(f"{page.live_server_url}/notifications/notices/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#mainnav a", has_text="我的通知").locator(".badge").inner_text() == "1"
    page.get_by_role("button", name="有短信发送失败").click()
    page.wait_for_url("**/notifications/messages/?status=failed")
    table = page.get_by_test_id("sms-table")
    assert "case:9:2026-03-06:0" in table.inner_text()
    assert "case:8:2026-03-06:0" not in table.inner_text()
    assert "139****5678" in table.inner_text()
    assert PHONE not in page.content()
    # The notice is read now: the badge is gone.
    assert page.locator("#mainnav a", has_text="我的通知").locator(".badge").count() == 0
    page.wait_for_load_state("networkidle")
    page.select_option("#status", "delivered")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert "case:8:2026-03-06:0" in page.get_by_test_id("sms-table").inner_text()
