"""Issue 17 ("Shown by"): the leader's inbox (待我决定), in Chinese and English, on a desktop and a phone.

The leader opens the inbox from the menu, presses Enter in the decision fields (nothing is decided), rejects a
score appeal and verifies a close-out, each through its confirmation step, and watches the menu badge count
down to nothing without a page load.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from complaints.models import DutySlot
from development.models import ScoreAppeal
from rectification.models import Problem, ProblemEvent
from staff.models import Role
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login
from tests.factories.rectification import close_out_applied
from tests.factories.staff import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Names and free text typed by people: data in the language they were written in.
DATA = ("张伟", "推诿扯皮", "漏记表扬", "刘军", "已核实", "评价真实", "现场核查", "整改到位")


def _badge(page) -> str:
    badge = page.locator("#nav-badge-inbox")
    return "" if badge.get_attribute("hidden") is not None else (badge.text_content() or "").strip()


def test_the_leader_decides_an_appeal_and_a_close_out_in_place(ui_page, centre, leader, window_staff):
    for weekday in range(5):  # a full duty rota: no rota gap joins the two decisions below
        for half in ("am", "pm"):
            DutySlot.objects.create(centre=centre, weekday=weekday, half=half, leader=leader)
    appeal = ScoreAppeal.objects.create(
        centre=centre, staff=window_staff, month=date(2026, 1, 1), reason="漏记表扬", indicator_code="points"
    )
    # Its responsible leader is another leader: `leader` verifies it independently (access.can_close_out).
    deputy = UserFactory(centre=centre, username="deputy", name="何平", roles=[Role.LEADER])
    problem = close_out_applied(centre, window_staff, code="TD-03", title="推诿扯皮", responsible_leader=deputy)

    page = ui_page
    browser_login(page, leader)
    page.wait_for_url(f"{page.live_server_url}/")
    page.wait_for_load_state("networkidle")
    assert _badge(page) == "2"
    nav(page, reverse("dashboard:inbox"))
    assert page.locator("[data-testid=inbox-item]").count() == 2
    assert page.locator("[data-testid=inbox-count]").inner_text() == "2"
    screen(page, "inbox", data=DATA)

    # Enter in the reason and in the value field decides nothing, and does not even ask to confirm.
    appeal_row = page.locator(f"#inbox-appeal-{appeal.id}")
    appeal_row.locator(f"[data-testid=reason-appeal-{appeal.id}]").fill("已核实，评价真实")
    appeal_row.locator(f"[data-testid=reason-appeal-{appeal.id}]").press("Enter")
    appeal_row.locator(f"[data-testid=value-appeal-{appeal.id}]").fill("90")
    appeal_row.locator(f"[data-testid=value-appeal-{appeal.id}]").press("Enter")
    page.wait_for_load_state("networkidle")
    assert appeal_row.locator("[data-testid=confirm-what]").count() == 0
    assert page.url.endswith(reverse("dashboard:inbox"))
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING

    # The first click says what will happen; only Confirm decides.
    appeal_row.locator("[data-testid=choose-reject]").click()
    what = appeal_row.locator("[data-testid=confirm-what]")
    what.wait_for()
    assert "张伟" in what.inner_text() and "2026-01" in what.inner_text()
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.PENDING
    screen(page, "inbox-confirm", data=DATA)
    appeal_row.locator("[data-testid=confirm]").click()
    appeal_row.wait_for(state="detached")
    assert _badge(page) == "1"
    assert page.locator("[data-testid=inbox-count]").inner_text() == "1"
    appeal.refresh_from_db()
    assert appeal.status == ScoreAppeal.Status.REJECTED and appeal.decided_by == leader
    assert appeal.decision == "已核实，评价真实"

    close_out_row = page.locator(f"#inbox-close_out-{problem.id}")
    close_out_row.locator(f"[data-testid=reason-close_out-{problem.id}]").fill("现场核查，整改到位")
    close_out_row.locator("[data-testid=choose-approve]").click()
    what = close_out_row.locator("[data-testid=confirm-what]")
    what.wait_for()
    assert "TD-03" in what.inner_text()
    assert what.inner_text().startswith(tr(page, "请确认：验收通过", "Please confirm: Verify"))
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSE_OUT_APPLIED
    close_out_row.locator("[data-testid=confirm]").click()
    close_out_row.wait_for(state="detached")
    assert _badge(page) == ""
    assert page.locator("[data-testid=inbox-count]").inner_text() == "0"
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSED and problem.verified_by == leader
    assert ProblemEvent.objects.filter(problem=problem, new_status=Problem.Status.CLOSED, actor=leader).exists()
    assert page.locator("[data-testid=inbox-done]").is_visible()
    screen(page, "inbox-done", data=DATA)
