"""A citizen rates a window from its QR page on a phone; a staff member classifies the resulting complaint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, Evaluation
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rate_a_window_on_a_phone_and_a_staff_member_classifies_the_complaint(
    phone_page, page, window, qr_channel, attitude_tag, centre_admin
):
    phone_page.goto(phone_page.live_server_url + reverse("complaints:rate-window", args=[window.public_id]))
    assert window.name in phone_page.text_content("[data-testid=rate-target]")
    phone_page.click("[data-testid=level-1]")
    phone_page.check("input[name=tags][value=attitude]")  # shown only after a bad level was chosen
    phone_page.fill("textarea[name=text]", "窗口人员态度冷漠，问了两遍都不理人")
    phone_page.check("input[name=complain]")
    phone_page.fill("input[name=contact_phone]", "13900006789")
    phone_page.click("[data-testid=rate-submit]")
    tracking_no = phone_page.text_content("[data-testid=tracking-no]").strip()

    evaluation = Evaluation.objects.get()
    assert (evaluation.level, evaluation.window_id, evaluation.tags) == (1, window.id, ["attitude"])
    complaint = Complaint.objects.get(tracking_no=tracking_no)
    assert complaint.category == ""

    browser_login(page, centre_admin)
    page.goto(page.live_server_url + reverse("complaints:complaint-list") + "?category=none")
    page.click(f"text={tracking_no}")
    assert "服务态度" in page.text_content("[data-testid=category-suggestion]")
    assert "139****6789" in page.content() and "13900006789" not in page.content()
    page.select_option("#id_category", "attitude")
    page.click("[data-testid=classify-form] button[type=submit]")
    assert page.text_content("[data-testid=complaint-category]").strip() == "服务态度"
    complaint.refresh_from_db()
    assert complaint.category == "attitude"


def test_staff_screens_load_cleanly_in_the_browser(page, centre, window, qr_channel, leader, centre_admin):
    """Every feedback screen renders without console errors, CSP violations or failed requests."""
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
    assert page.eval_on_selector("[data-testid=qr-image]", "img => img.naturalWidth") > 0
    page.goto(page.live_server_url + reverse("complaints:escalation-report", args=[escalation.public_id]))
    page.fill("textarea[name=report]", "一、基本情况\n二、处理意见")
    page.click("[data-testid=report-form] button[type=submit]")
    assert "处理意见" in page.text_content("[data-testid=report-text]")
