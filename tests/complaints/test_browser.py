"""A citizen rates a window from its QR page on a phone; a staff member classifies the resulting complaint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, Evaluation
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rate_a_window_on_a_phone_and_a_staff_member_classifies_the_complaint(
    ui_page, browser_pages, window, qr_channel, attitude_tag, centre_admin
):
    # The citizen is on a phone, in the staff member's language; the staff member on `ui_page`.
    citizen = browser_pages.open("phone", ui_page.language)
    citizen.goto(citizen.live_server_url + reverse("complaints:rate-window", args=[window.public_id]))
    assert window.name in citizen.text_content("[data-testid=rate-target]")
    citizen.click("[data-testid=level-1]")
    citizen.check("input[name=tags][value=attitude]")  # shown only after a bad level was chosen
    citizen.fill("textarea[name=text]", "窗口人员态度冷漠，问了两遍都不理人")
    citizen.check("input[name=complain]")
    citizen.fill("input[name=contact_phone]", "13900006789")
    screen(citizen, "rate-window")
    citizen.click("[data-testid=rate-submit]")
    assert citizen.text_content("[data-testid=rate-thanks]") == tr(
        citizen, "感谢您的评价！", "Thank you for your rating!"
    )
    tracking_no = citizen.text_content("[data-testid=tracking-no]").strip()
    screen(citizen, "rate-thanks")

    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.window_id, evaluation.tags) == (1, window.id, ["attitude"])
    complaint = Complaint.objects.get(tracking_no=tracking_no)
    assert complaint.category == ""

    page = ui_page
    browser_login(page, centre_admin)
    page.wait_for_selector("[data-testid=home-heading]")
    nav(page, reverse("complaints:complaint-list"))
    page.click(f"text={tracking_no}")
    assert page.locator("h1").inner_text().startswith(tr(page, "投诉 ", "Complaint "))
    assert page.locator("p:has([data-testid=complaint-category])").inner_text() == tr(
        page, "问题类别：待归类", "Problem category: To classify"
    )
    suggestion = page.text_content("[data-testid=category-suggestion]")
    assert tr(page, "服务态度", "Service attitude") in suggestion
    assert "139****6789" in page.content() and "13900006789" not in page.content()
    screen(page, "complaint-detail")
    page.select_option("#id_category", "attitude")
    page.click("[data-testid=classify-form] button[type=submit]")
    assert page.text_content("[data-testid=complaint-category]").strip() == tr(page, "服务态度", "Service attitude")
    complaint.refresh_from_db()
    assert complaint.category == "attitude"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_staff_screens_load_cleanly_in_the_browser(
    browser_pages, language, centre, window, qr_channel, leader, centre_admin
):
    """Every feedback screen renders without console errors, CSP violations or failed requests,
    and in English without Chinese UI text."""
    page = browser_pages.open("desktop", language)
    from complaints import escalations as esc
    from complaints import services

    evaluation = services.evaluation_submit(centre=centre, channel=qr_channel, level=1, window=window, text="差")
    escalation = esc.escalation_register(centre=centre, content="跨部门事项", actor=leader, kind="complex")
    complaint = services.complaint_submit(centre=centre, channel=qr_channel, content="态度差", window=window)
    esc.duty_rota_seed(centre=centre)
    browser_login(page, leader)
    urls = [
        reverse("complaints:overview"),
        reverse("complaints:report") + "?by=window",
        reverse("complaints:evaluation-list"),
        reverse("complaints:bad-review-list"),
        reverse("complaints:bad-review-detail", args=[evaluation.bad_review.id]),
        reverse("complaints:complaint-list"),
        complaint.get_absolute_url(),
        reverse("complaints:escalation-list"),
        reverse("complaints:escalation-detail", args=[escalation.public_id]),
        reverse("complaints:escalation-report", args=[escalation.public_id]),
        reverse("complaints:duty-rota"),
        reverse("complaints:window-qr-list"),
        reverse("complaints:window-qr-print", args=[window.pk]),
    ]
    for url in urls:
        response = page.goto(page.live_server_url + url)
        assert response.status == 200, url
        screen(page, url.strip("/").replace("/", "_"), data=("跨部门事项", "态度差"), photo=False)
    assert page.eval_on_selector("[data-testid=qr-image]", "img => img.naturalWidth") > 0
    page.goto(page.live_server_url + reverse("complaints:escalation-report", args=[escalation.public_id]))
    page.fill("textarea[name=report]", "一、基本情况\n二、处理意见")
    page.click("[data-testid=report-form] button[type=submit]")
    assert "处理意见" in page.text_content("[data-testid=report-text]")
