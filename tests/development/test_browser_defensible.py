"""In a browser: the leader reads why a tie on the star line made three stars, and records a reminder talk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from development.models import ManualEntry, ReminderTalk
from development.scoring import scoring_run_lock, scoring_run_month
from tests.browser.ui import screen
from tests.conftest import browser_login
from tests.development.test_defensible_scores import POINTS, TWELVE
from tests.factories.development import scheme_with
from tests.factories.staff import window_staff as make_window_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAN = date(2026, 1, 1)


def test_the_leader_reads_the_tie_on_the_star_line_and_records_the_reminder_talk(ui_page, centre, window, leader):
    scheme_with(centre, POINTS)
    people = [
        make_window_staff(centre=centre, window=window, username=f"p{i:02d}", name=f"员工{i:02d}") for i in range(12)
    ]
    for person, value in zip(people, TWELVE, strict=True):
        ManualEntry.objects.create(
            centre=centre,
            staff=person,
            month=JAN,
            indicator_code="points",
            value=Decimal(value),
            reason="测试",
            author=leader,
        )
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)

    page = ui_page
    browser_login(page, leader)
    page.wait_for_selector("[data-testid=home-heading]")
    page.goto(page.live_server_url + reverse("staff:score-month", args=["2026-01"]))
    rules = page.text_content("[data-testid=ranking-rules]")
    assert "⌈10% × 12⌉ = 2" in rules and "⌊5% × 12⌋" in rules
    tie = page.text_content("[data-testid=boundary-star]")
    assert "85.00" in tie and all(f"员工0{i}" in tie for i in (1, 2, 3))
    screen(page, "score-month-tie", data=("员工", "测试方案", "综合得分"))

    page.goto(page.live_server_url + reverse("staff:score-months"))
    talk = ReminderTalk.objects.get()
    row = page.locator(f"#reminder-talk-{talk.id}")
    row.locator("input[name=held_at]").fill("2026-02-03T10:00")
    row.locator("textarea[name=notes]").fill("指出差距，本人承诺改进")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#reminder-talk-{talk.id} .status-ok")
    talk.refresh_from_db()
    assert talk.status == "done" and "承诺改进" in talk.notes
    # the history notes are stored in the language of the lock that raised the talk: data
    screen(page, "reminder-talks", data=("员工", "测试方案", "指出差距", "首次位列末位", "安排提醒谈话", "期限"))
