"""Screens: my score, the leader's month, the notice board, HR export, training, mentors, role-swap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse

from development.models import (
    Formula,
    ManualEntry,
    Metric,
    RoleSwapFinding,
    RoleSwapPlan,
    RoleSwapReport,
    ScoringRun,
    SessionType,
    Source,
    TrainingSession,
)
from development.scoring import scoring_run_lock, scoring_run_month
from tests.exporting import export_through_screens
from tests.factories.development import at, evaluation, scheme_with
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)

SCHEME = [
    {
        "code": "eval_avg",
        "name": "平均评价等级",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 60,
    },
    {
        "code": "praise",
        "name": "群众表扬",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.COUNT,
        "target": Decimal(2),
        "weight": 40,
    },
]


@pytest.fixture
def january(centre, window_staff, other_window_staff, leader):
    scheme_with(centre, SCHEME, min_evaluations=1)
    evaluation(window_staff, 4, at(2026, 1, 8))
    evaluation(other_window_staff, 5, at(2026, 1, 8))
    ManualEntry.objects.create(
        centre=centre,
        staff=window_staff,
        month=JAN,
        indicator_code="praise",
        value=Decimal(1),
        reason="表扬信",
        author=leader,
    )
    return scoring_run_month(centre=centre, month=JAN, actor=leader)


def test_staff_see_their_own_breakdown_with_the_reason_for_each_score(january, as_user, window_staff):
    response = as_user(window_staff).get(reverse("staff:my-score"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "68.00" in body  # 60 × 4/5 = 48 + 40 × 1/2 = 20
    assert "平均评价等级" in body and "1 条记录平均 4.00" in body
    assert "李娜" not in body  # nobody else's score


def test_staff_cannot_open_another_month_they_have_no_score_for(january, as_user, window_staff):
    response = as_user(window_staff).get(reverse("staff:my-score") + "?month=2025-05")
    assert response.status_code == 404


def test_an_appeal_is_filed_once_from_the_score_page(january, as_user, window_staff):
    client = as_user(window_staff)
    url = reverse("staff:score-appeal")
    client.post(url, {"month": "2026-01", "indicator_code": "praise", "reason": "漏记一次表扬"})
    client.post(url, {"month": "2026-01", "indicator_code": "", "reason": "第二次"})
    assert window_staff.score_appeals.count() == 1


def test_leader_month_view_lists_scores_in_few_queries(january, as_user, leader, django_assert_max_num_queries):
    client = as_user(leader)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("staff:score-month", args=["2026-01"]))
    assert response.status_code == 200
    assert "张伟" in response.content.decode() and "李娜" in response.content.decode()


def test_window_staff_cannot_see_the_month_view(january, as_user, window_staff):
    assert as_user(window_staff).get(reverse("staff:score-month", args=["2026-01"])).status_code == 404


def test_another_centre_looks_like_not_found(january, as_user, other_leader, other_centre):
    response = as_user(other_leader).get(reverse("staff:score-month", args=["2026-01"]) + "?centre=city")
    assert response.status_code == 404


def test_rerun_button_and_lock(january, as_user, leader, django_capture_on_commit_callbacks):
    client = as_user(leader)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff:score-run", args=["2026-01"]), {"centre": "city"})
    january.refresh_from_db()
    assert january.compute_count == 2 and january.status == ScoringRun.Status.PREVIEW
    client.post(reverse("staff:score-lock", args=["2026-01"]), {"centre": "city"})
    january.refresh_from_db()
    assert january.status == ScoringRun.Status.LOCKED
    status = client.get(reverse("staff:score-status", args=["2026-01"]) + "?polling=1")
    assert status["HX-Refresh"] == "true"


def test_hr_export_carries_the_performance_reward_flag(january, as_user, leader):
    from openpyxl import load_workbook

    content = export_through_screens(as_user(leader), "scores", {"month": "2026-01"})
    rows = list(load_workbook(BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][8] == "绩效奖励"
    by_name = {row[2]: row for row in rows[1:]}
    # 张伟 68.00 beats 李娜 60.00: 1 star of 2 ranked (10 %, rounded up)
    assert by_name["张伟"][4] == 68.0 and by_name["张伟"][7] == "是" and by_name["张伟"][8] == "是"
    assert by_name["李娜"][8] == "否"


def test_notice_board_shows_only_locked_stars_with_name_and_window(january, client, leader, window_staff):
    url = reverse("staff:star-board", args=["city"])
    assert "张伟" not in client.get(url).content.decode()  # preview is not published
    scoring_run_lock(run_id=january.id, actor=leader)
    window_staff.mobile = "13900002222"
    window_staff.save()
    body = client.get(url).content.decode()
    assert "张伟" in body and "李娜" not in body
    assert "B01" in body  # the window
    assert "2222" not in body and "68.00" not in body


def test_training_mentor_and_role_swap_pages_render(centre, as_user, leader, window_staff):
    TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策更新", trainer="x"
    )
    plan = RoleSwapPlan.objects.create(centre=centre, year=2026, quarter=1, staff=window_staff, matter="社保转移")
    report = RoleSwapReport.objects.create(plan=plan, done_on=date(2026, 2, 3), what_was_done="x", minutes_taken=30)
    finding = RoleSwapFinding.objects.create(
        report=report, category="efficiency", title="材料重复提交", description="x"
    )
    client = as_user(leader)
    assert "政策更新" in client.get(reverse("staff:training") + "?year=2026").content.decode()
    assert client.get(reverse("staff:mentors")).status_code == 200
    assert "材料重复提交" in client.get(reverse("staff:role-swap") + "?year=2026").content.decode()
    client.post(reverse("staff:role-swap-to-ledger", args=[finding.id]))
    finding.refresh_from_db()
    assert finding.problem is not None and finding.problem.source == "role_swap"


def test_staff_sign_in_to_a_session(centre, as_user, window_staff):
    session = TrainingSession.objects.create(
        centre=centre, session_type=SessionType.POLICY_UPDATE, held_on=date(2026, 3, 4), topic="政策", trainer="x"
    )
    as_user(window_staff).post(reverse("staff:training-session", args=[session.id]))
    assert session.attendances.filter(staff=window_staff).exists()


def test_nav_shows_score_items_by_role(as_user, window_staff, leader):
    assert "我的服务之星评分" in as_user(window_staff).get(reverse("home")).content.decode()
    leader_home = as_user(leader).get(reverse("home")).content.decode()
    assert "服务之星月度评分" in leader_home


def test_spot_check_entry_form(centre, as_user, leader, window_staff):
    scheme_with(centre, SCHEME, valid_from=date(2020, 1, 1))
    response = as_user(leader).post(
        reverse("staff:score-inputs"),
        {
            "spot-staff": window_staff.id,
            "spot-checked_at": "2026-01-05T10:00",
            "spot-response_seconds": "25",
            "spot-notification_correct": "true",
            "spot-discipline_violations": "0",
        },
    )
    assert response.status_code == 302
    check = window_staff.spot_checks.get()
    assert check.response_seconds == 25 and check.notification_correct is True and check.inspector == leader


def test_staff_file_their_role_swap_report_with_problems(centre, as_user, window_staff, leader):
    plan = RoleSwapPlan.objects.create(centre=centre, year=2026, quarter=2, staff=window_staff, matter="企业开办")
    client = as_user(window_staff)
    assert "企业开办" in client.get(reverse("staff:role-swap") + "?year=2026").content.decode()
    client.post(
        reverse("staff:role-swap-report", args=[plan.id]),
        {
            "done_on": "2026-04-10",
            "minutes_taken": "90",
            "what_was_done": "全程体验",
            "category_1": "efficiency",
            "title_1": "排队过长",
            "description_1": "等了 40 分钟",
            "title_2": "",
        },
    )
    report = RoleSwapReport.objects.get(plan=plan)
    assert report.minutes_taken == 90
    assert list(report.findings.values_list("title", "category")) == [("排队过长", "efficiency")]


def test_a_mentor_sees_only_their_own_pairings(centre, window, as_user, mentor, leader, window_staff):
    from development.models import MentorPairing

    other = make_window_staff(centre=centre, window=window, username="newbie", started_on=date(2026, 1, 5))
    MentorPairing.objects.create(
        centre=centre, mentor=mentor, mentee=window_staff, slot=1, reason="new_staff", started_on=date(2026, 1, 5)
    )
    MentorPairing.objects.create(
        centre=centre, mentor=leader, mentee=other, slot=1, reason="new_staff", started_on=date(2026, 1, 5)
    )
    body = as_user(mentor).get(reverse("staff:mentors")).content.decode()
    assert window_staff.name in body and other.name not in body
    assert "新建结对" not in body
    assert as_user(window_staff).get(reverse("staff:mentors")).status_code == 404
