"""In a browser: a staff member reads their score breakdown; the hall notice board shows the stars."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from development.models import Formula, ManualEntry, Metric, Source
from development.scoring import scoring_run_lock, scoring_run_month
from tests.browser.ui import nav, screen
from tests.conftest import browser_login
from tests.factories.development import at, evaluation, scheme_with, spot_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHEME = [
    {
        "code": "resp30",
        "name": "咨询响应≤30秒达标率",
        "source": Source.SPOT_CHECKS,
        "metric": Metric.SPOT_RESPONSE_WITHIN_SHARE,
        "formula": Formula.RATIO,
        "threshold": Decimal(30),
        "target": Decimal(1),
        "weight": 40,
    },
    {
        "code": "eval_avg",
        "name": "平均评价等级",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 40,
    },
    {
        "code": "errors",
        "name": "业务差错",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.DEDUCTION,
        "per_unit": Decimal(2),
        "weight": 20,
    },
]


def test_staff_member_reads_the_breakdown_and_the_board_shows_the_star(
    ui_page, centre, window_staff, other_window_staff, leader
):
    scheme_with(centre, SCHEME, min_evaluations=1)
    spot_check(window_staff, leader, at(2026, 1, 5), response_seconds=20)
    spot_check(window_staff, leader, at(2026, 1, 6), response_seconds=50)
    evaluation(window_staff, 5, at(2026, 1, 7))
    evaluation(other_window_staff, 3, at(2026, 1, 7))
    spot_check(other_window_staff, leader, at(2026, 1, 5), response_seconds=60)  # 0 + 24 + 20 = 44
    ManualEntry.objects.create(
        centre=centre,
        staff=window_staff,
        month=date(2026, 1, 1),
        indicator_code="errors",
        value=Decimal(1),
        reason="收件差错",
        author=leader,
    )
    run = scoring_run_month(centre=centre, month=date(2026, 1, 1), actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)

    page = ui_page
    browser_login(page, window_staff)
    page.wait_for_selector("[data-testid=home-heading]")
    nav(page, reverse("staff:my-score"))
    # 40 × 1/2 = 20 + 40 × 5/5 = 40 + 20 − 2 = 18 → 78
    assert page.text_content("[data-testid=score-total]").strip() == "78.00"
    breakdown = page.text_content("[data-testid=breakdown]")
    assert "咨询响应≤30秒达标率" in breakdown
    assert "1.00 / 2 = 50.00%" in breakdown
    assert "20.00 − 2 × 1.00 = 18.00" in breakdown
    # The reason is readable where the score is, on a phone too (not in a column off the screen).
    why = page.locator("[data-testid=breakdown] td.why").first.bounding_box()
    assert why["x"] >= 0 and why["x"] + why["width"] <= page.viewport_size["width"]
    screen(page, "my-score", data=("咨询响应", "平均评价等级"))  # the scheme's indicator names

    page.goto(page.live_server_url + reverse("staff:star-board", args=[centre.code]))
    board = page.text_content("[data-testid=star-board]")
    assert window_staff.name in board and window_staff.window.code in board
    assert other_window_staff.name not in board
    assert "78.00" not in board
    screen(page, "star-board")
