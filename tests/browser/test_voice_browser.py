"""Issue 16 ("Shown by"), the citizen's voice, on a phone in Chinese and English.

A citizen rates a window twice with the same phone (only the latest counts, and the thanks page says
so), complains, looks up the status with the tracking number and the last four digits, reads the answer,
says it did not solve the matter (with a confirmation step), and sees it re-opened; the leader's
complaint list shows it re-opened.
"""

from __future__ import annotations

import pytest

from complaints import services
from complaints.models import Channel, Complaint, Evaluation, OneRatingPolicy
from tests.browser.ui import screen, tr
from tests.conftest import browser_login
from tests.factories.complaints import channel_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("zh-hans", id="zh"), pytest.param("en", id="en")]
PHONE = "13900005678"
ANSWER = "已约谈窗口人员，并安排业务培训。"
REASON = "窗口仍然不给办理"


def _rate(page, url: str, level: str, *, complain: str = "") -> None:
    page.goto(url)
    page.locator(f"[data-testid=level-{level}]").click()
    page.fill("input[name=contact_phone]", PHONE)
    if complain:
        page.fill("textarea[name=text]", complain)
        page.check("input[name=complain]")
    page.click("[data-testid=rate-submit]")
    page.wait_for_selector("[data-testid=rate-thanks]")


@pytest.mark.parametrize("language", LANGUAGES)
def test_citizen_rates_twice_complains_reads_the_answer_and_says_it_did_not_solve_it(
    browser_pages, language, centre, window, leader
):
    channel = channel_for(centre, Channel.Kind.QR_CODE)
    # Three ratings from one phone within minutes would be a burst (left out): this test is about replacing.
    OneRatingPolicy.objects.create(centre=centre, burst_count=10, burst_minutes=5)
    data = (centre.name, window.name, channel.name, ANSWER, REASON)
    page = browser_pages.open("phone", language)
    rate_url = page.live_server_url + f"/feedback/rate/{window.public_id}/"

    # Rated twice with one phone: the second replaces the first.
    _rate(page, rate_url, "2")
    assert page.locator("[data-testid=one-rating-replaced]").count() == 0
    _rate(page, rate_url, "5")
    assert page.locator("[data-testid=one-rating-replaced]").is_visible()
    screen(page, "voice-rating-replaced", data=data)
    assert Evaluation.objects.count() == 2
    assert list(Evaluation.objects.filter(excluded=False).values_list("level", flat=True)) == [5]

    # A complaint: without a contact it would be refused; the phone is the contact.
    _rate(page, rate_url, "1", complain="窗口人员推诿，不给办理")
    complaint = Complaint.objects.get()
    assert page.locator("[data-testid=tracking-no]").inner_text() == complaint.tracking_no
    screen(page, "voice-complaint-thanks", data=(*data, complaint.tracking_no))

    # The staff answer (the service, as the complaint screens would).
    services.complaint_reply(complaint_id=complaint.id, reply=ANSWER, actor=leader)

    # The thanks page leads to the status page; the number is filled in, the last four digits are asked.
    page.click("[data-testid=status-link]")
    page.wait_for_selector("[data-testid=status-lookup]")
    assert page.input_value("input[name=no]") == complaint.tracking_no
    page.fill("input[name=last4]", PHONE[-4:])
    screen(page, "voice-status-lookup", data=data)
    page.click("[data-testid=status-lookup-submit]")
    page.wait_for_selector("[data-testid=status-timeline]")
    assert ANSWER in page.inner_text("[data-testid=status-timeline]")
    assert tr(page, "中心领导", "Centre leader") in page.inner_text("[data-testid=answered-by]")
    assert leader.name not in page.inner_text("body")
    screen(page, "voice-status-answered", data=data)

    # Not solved: the reason, then a confirmation, then it is re-opened.
    page.fill("textarea[name=reason]", REASON)
    page.click("[data-testid=reopen-submit]")
    page.wait_for_selector("[data-testid=reopen-confirm]")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REPLIED
    screen(page, "voice-status-confirm", data=data)
    page.click("[data-testid=reopen-confirm-submit]")
    page.wait_for_selector("[data-testid=status-now]")
    assert page.inner_text("[data-testid=status-now]") == tr(page, "重新办理", "Re-opened")
    assert REASON in page.inner_text("[data-testid=status-timeline]")
    assert page.locator("[data-testid=reopen]").count() == 0  # once only
    screen(page, "voice-status-reopened", data=data)
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REOPENED

    # The leader's complaint list shows it re-opened.
    leader_page = browser_pages.open("phone", language)
    browser_login(leader_page, leader)
    leader_page.goto(leader_page.live_server_url + "/feedback/complaints/")
    row = leader_page.locator("tr", has_text=complaint.tracking_no)
    assert row.count() == 1
    assert tr(leader_page, "重新办理", "Re-opened") in row.inner_text()
    screen(leader_page, "voice-leader-list", data=(*data, complaint.tracking_no, "窗口人员推诿，不给办理"))
