"""Issue 19 ("Shown by"): the duty leader's live queue view, in Chinese and English, on a desktop and a phone.

The leader opens it from the menu, sees who waits and the alert for the one past the centre's threshold;
a device then calls that ticket and another is taken, and the panel follows without a page load (htmx).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from intake.queue import views as queue_views
from intake.queue.services import queue_events_ingest, queue_settings_set
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login
from tests.factories.intake import queue_device, queue_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = ("营业执照", "社保参保", "张伟")


def test_the_duty_leader_watches_the_queue_and_the_alert_clears_when_the_ticket_is_called(
    ui_page, centre, window, window_staff, leader, monkeypatch
):
    monkeypatch.setattr(queue_views, "POLL_SECONDS", 1)
    queue_settings_set(centre=centre, wait_alert_minutes=2, actor=leader)
    device, _raw = queue_device(centre)
    now = timezone.now()
    queue_events_ingest(
        device=device,
        items=[
            queue_event("taken", "A001", now - timedelta(minutes=3, seconds=30), matter="营业执照"),
            queue_event("taken", "A002", now - timedelta(seconds=30), matter="社保参保"),
        ],
    )

    page = ui_page
    browser_login(page, leader)
    page.wait_for_url(f"{page.live_server_url}/")
    nav(page, reverse("intake:queue-live"))
    alert = page.locator("[data-testid=queue-alert]")
    assert alert.get_attribute("role") == "alert"
    assert tr(page, "1 人已等候超过 2 分钟", "1 person has waited longer than 2 minutes") in alert.inner_text()
    assert page.locator("tr[data-ticket=A001][data-over='1']").count() == 1
    assert page.locator("tr[data-ticket=A002][data-over]").count() == 0
    assert page.locator("[data-testid=waiting-count]").inner_text() == "2"
    screen(page, "queue-live", data=DATA)
    page.evaluate("window.stillTheSamePage = true")

    queue_events_ingest(
        device=device,
        items=[
            queue_event("called", "A001", timezone.now(), window=window.code),
            queue_event("taken", "A003", timezone.now(), matter="社保参保"),
        ],
    )
    page.locator("tr[data-ticket=A003]").wait_for(timeout=15_000)  # the next poll brings it
    assert page.locator("[data-testid=queue-alert]").count() == 0
    assert page.locator("tr[data-ticket=A001]").count() == 0
    assert page.locator(f"tr[data-window='{window.code}']").count() == 1
    assert page.evaluate("window.stillTheSamePage === true")  # no page load: the panel was swapped in place
