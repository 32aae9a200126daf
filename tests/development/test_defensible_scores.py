"""Scores a leader can defend (issue 18, and the appeal target of issue 16), on hand-computed months.

- a tie across the star line: equal totals, equal outcomes, on the page and in the HR export;
- 12 ranked staff have one bottom place (the minimum headcount is 10);
- a first bottom month raises a reminder talk; a second one the interview and a retraining enrolment;
- only verified complaints cost points, and an "unfounded" verdict gives them back before the lock;
- leave pro-rates the volume targets; staff with no data are not ranked;
- appeals name an indicator, and tell the leader and then the member of staff;
- the mentor picker offers only staff who may mentor; the public board has no internal wording.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.urls import reverse

from complaints.services import complaint_verdict_set
from development.models import (
    Appraisal,
    FollowUp,
    Formula,
    ManualEntry,
    Metric,
    ReminderTalk,
    ScoringRun,
    SessionType,
    Source,
    StaffLeave,
    TrainingEnrolment,
    TrainingSession,
)
from development.scoring import (
    reminder_talk_record,
    score_appeal_decide,
    score_appeal_file,
    scoring_run_lock,
    scoring_run_month,
    training_enrolment_assign,
)
from development.services import attendance_sign_in
from govservice.exceptions import NotPermitted, ValidationFailed
from notifications.models import Notice
from tests.exporting import export_through_screens
from tests.factories.development import at, case, complaint, evaluation, scheme_with
from tests.factories.staff import UserFactory
from tests.factories.staff import window_staff as make_window_staff

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 1)

POINTS = [
    {
        "code": "points",
        "name": "综合得分",
        "source": Source.MANUAL,
        "metric": Metric.MANUAL_SUM,
        "formula": Formula.COUNT,
        "target": Decimal(100),
        "weight": 100,
    },
]


def _people(centre, window, n):
    return [
        make_window_staff(centre=centre, window=window, username=f"p{i:02d}", name=f"员工{i:02d}") for i in range(n)
    ]


def _points(people, month, author, values):
    for person, value in zip(people, values, strict=True):
        ManualEntry.objects.create(
            centre=person.centre,
            staff=person,
            month=month,
            indicator_code="points",
            value=Decimal(value),
            reason="测试",
            author=author,
        )


# 12 ranked: ⌈10 % × 12⌉ = 2 star places; max(1, ⌊5 % × 12⌋ = 0) = 1 bottom place.
# p00 has 95; p01, p02, p03 are tied at 85 on the star line; p11 (40) is the bottom place.
TWELVE = [95, 85, 85, 85, 80, 75, 70, 65, 60, 55, 50, 40]


@pytest.fixture
def twelve(centre, window):
    scheme_with(centre, POINTS)
    return _people(centre, window, 12)


def test_three_staff_tied_on_the_star_line_are_all_stars_and_all_rewarded(twelve, centre, leader, admin, as_user):
    from openpyxl import load_workbook

    _points(twelve, JAN, admin, TWELVE)
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)

    scores = {s.staff.username: s for s in run.scores.select_related("staff")}
    assert [scores[f"p{i:02d}"].rank for i in range(5)] == [1, 2, 2, 2, 5]
    assert [u for u, s in sorted(scores.items()) if s.is_star] == ["p00", "p01", "p02", "p03"]
    assert [u for u, s in scores.items() if s.is_bottom] == ["p11"]

    client = as_user(leader)
    page = client.get(reverse("staff:score-month", args=["2026-01"])).content.decode()
    assert "服务之星名额 = ⌈10% × 12⌉ = 2" in page
    assert "末位名额 = max(1, ⌊5% × 12⌋) = 1" in page
    assert 'data-testid="boundary-star"' in page and "85.00" in page and "并列者全部评为服务之星" in page

    export = export_through_screens(client, "scores", {"month": "2026-01"})
    rows = list(load_workbook(BytesIO(export)).active.iter_rows(values_only=True))
    reward = {row[2]: row[8] for row in rows[1:]}
    assert [reward[f"员工{i:02d}"] for i in range(5)] == ["是", "是", "是", "是", "否"]
    notes = {row[2]: row[11] for row in rows[1:]}
    assert notes["员工01"] == "与另外 2 人同分并列" and not notes["员工00"]


def test_twelve_ranked_staff_have_one_bottom_place_and_a_first_bottom_month_raises_a_reminder_talk(
    twelve, centre, leader, admin, django_capture_on_commit_callbacks
):
    _points(twelve, JAN, admin, TWELVE)
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    assert not ReminderTalk.objects.exists()  # a preview raises nothing

    with time_machine.travel(at(2026, 2, 2), tick=False), django_capture_on_commit_callbacks(execute=True):
        scoring_run_lock(run_id=run.id, actor=leader)

    talk = ReminderTalk.objects.get()
    # locked on Monday 2 February 2026; 5 working days: 3, 4, 5, 6, 9 February
    assert (talk.staff, talk.leader, talk.due_date, talk.status) == (twelve[11], leader, date(2026, 2, 9), "open")
    assert not FollowUp.objects.exists()
    notice = Notice.objects.get(recipient=leader, key=f"reminder-talk-{talk.id}")
    assert "员工11" in notice.text and "2026-02-09" in notice.text

    with pytest.raises(ValidationFailed):
        reminder_talk_record(talk_id=talk.id, actor=leader, notes="  ")
    with pytest.raises(NotPermitted):
        reminder_talk_record(talk_id=talk.id, actor=twelve[0], notes="谈了")
    held = at(2026, 2, 5, 15)
    with time_machine.travel(at(2026, 2, 6), tick=False):
        done = reminder_talk_record(talk_id=talk.id, actor=leader, notes="指出服务态度问题，本人承诺改进", held_at=held)
    assert done.status == "done" and done.done_at == held and "承诺改进" in done.notes
    assert [(e.old_status, e.new_status) for e in done.events.all()] == [("", "open"), ("open", "done")]


def test_a_second_bottom_month_raises_the_interview_and_a_linked_retraining_enrolment(
    twelve, centre, leader, admin, django_capture_on_commit_callbacks
):
    _points(twelve, JAN, admin, TWELVE)
    _points(twelve, FEB, admin, TWELVE)
    with django_capture_on_commit_callbacks(execute=True):
        for month in (JAN, FEB):
            scoring_run_lock(run_id=scoring_run_month(centre=centre, month=month, actor=leader).id, actor=leader)

    weakest = twelve[11]
    assert list(ReminderTalk.objects.values_list("staff", "month")) == [(weakest.id, JAN)]  # only the first month
    follow_ups = {f.kind: f for f in FollowUp.objects.filter(staff=weakest, month=FEB)}
    assert sorted(follow_ups) == ["interview", "training"]
    enrolment = TrainingEnrolment.objects.get()
    assert enrolment.follow_up == follow_ups["training"] and follow_ups["training"].enrolment == enrolment
    assert (enrolment.staff, enrolment.status) == (weakest, "enrolled")

    session = TrainingSession.objects.create(
        centre=centre, session_type=SessionType.SKILLS, held_on=date(2026, 3, 10), topic="服务规范", trainer="王老师"
    )
    training_enrolment_assign(enrolment_id=enrolment.id, session_id=session.id, actor=leader)
    attendance_sign_in(session=session, staff=weakest)
    enrolment.refresh_from_db()
    follow_ups["training"].refresh_from_db()
    assert enrolment.status == "attended" and follow_ups["training"].status == "done"
    assert follow_ups["interview"].status == "open"  # the interview is the leader's own record


def test_the_pages_link_the_follow_up_and_the_enrolment_both_ways(
    twelve, centre, leader, admin, as_user, django_capture_on_commit_callbacks
):
    _points(twelve, JAN, admin, TWELVE)
    _points(twelve, FEB, admin, TWELVE)
    with django_capture_on_commit_callbacks(execute=True):
        for month in (JAN, FEB):
            scoring_run_lock(run_id=scoring_run_month(centre=centre, month=month, actor=leader).id, actor=leader)
    enrolment = TrainingEnrolment.objects.get()
    client = as_user(leader)
    months = client.get(reverse("staff:score-months")).content.decode()
    assert f"#enrolment-{enrolment.id}" in months and 'data-testid="reminder-talks"' in months
    training = client.get(reverse("staff:training") + "?year=2026").content.decode()
    assert f"#follow-up-{enrolment.follow_up_id}" in training and "员工11" in training


# --- complaints cost points only when verified founded -------------------------------------------

COMPLAINTS = [
    {
        "code": "complaints",
        "source": Source.COMPLAINTS,
        "metric": Metric.COMPLAINT_COUNT,
        "formula": Formula.DEDUCTION,
        "per_unit": Decimal(5),
        "weight": 20,
    },
    {
        "code": "eval_avg",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 80,
    },
]


@pytest.fixture
def complained(centre, window_staff, leader):
    scheme_with(centre, COMPLAINTS)
    evaluation(window_staff, 5, at(2026, 1, 6))
    founded = complaint(window_staff, at(2026, 1, 7), verdict="founded")
    pending = complaint(window_staff, at(2026, 1, 8))
    return founded, pending


def test_only_a_founded_complaint_costs_points_and_one_under_examination_is_shown_as_pending(
    complained, centre, window_staff, leader, as_user
):
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    score = run.scores.get(staff=window_staff)
    # 20 − 5 × 1 founded = 15; 80 × 5/5 = 80
    assert score.total == Decimal("95.00") and score.pending_complaints == 1
    page = as_user(window_staff).get(reverse("staff:my-score")).content.decode()
    assert 'data-testid="pending-complaints"' in page and "1 件涉及您的投诉正在核实" in page


def test_an_unfounded_verdict_gives_the_points_back_before_the_lock(
    complained, centre, window_staff, leader, django_capture_on_commit_callbacks
):
    founded, pending = complained
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    with pytest.raises(NotPermitted):
        complaint_verdict_set(complaint_id=founded.id, verdict="unfounded", note="x", actor=window_staff)

    with django_capture_on_commit_callbacks(execute=True):  # the verdict queues the month (eager in tests)
        complaint_verdict_set(complaint_id=founded.id, verdict="unfounded", note="监控录像显示无此情况", actor=leader)

    run.refresh_from_db()
    score = run.scores.get(staff=window_staff)
    assert run.status == ScoringRun.Status.PREVIEW and run.compute_count == 2
    assert score.total == Decimal("100.00")  # the 5 points are back
    assert founded.events.filter(note__contains="不属实").exists()

    with django_capture_on_commit_callbacks(execute=True):
        complaint_verdict_set(complaint_id=pending.id, verdict="partly", note="态度生硬属实", actor=leader)
    assert run.scores.get(staff=window_staff).total == Decimal("95.00")


def test_after_the_lock_a_verdict_leaves_the_published_month_alone(
    complained, centre, window_staff, leader, django_capture_on_commit_callbacks
):
    founded, _pending = complained
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_verdict_set(complaint_id=founded.id, verdict="unfounded", note="核实不属实", actor=leader)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.LOCKED and run.compute_count == 1
    assert run.scores.get(staff=window_staff).total == Decimal("95.00")  # corrected through an appeal


def test_a_leader_records_the_verdict_from_the_complaint_page(complained, as_user, leader):
    _founded, pending = complained
    client = as_user(leader)
    url = reverse("complaints:complaint-verdict", args=[pending.public_id])
    client.post(url, {"verdict": "unfounded", "note": ""})
    pending.refresh_from_db()
    assert pending.verdict == ""  # the note is required
    client.post(url, {"verdict": "unfounded", "note": "调阅录音，未发现问题"})
    pending.refresh_from_db()
    assert pending.verdict == "unfounded" and pending.verdict_by == leader
    page = client.get(pending.get_absolute_url()).content.decode()
    assert 'data-testid="complaint-verdict"' in page and "不属实" in page


# --- leave and no data ---------------------------------------------------------------------------

VOLUME = [
    {
        "code": "completed",
        "source": Source.CASES,
        "metric": Metric.CASES_COMPLETED,
        "formula": Formula.COUNT,
        "target": Decimal(12),
        "weight": 20,
    },
    {
        "code": "eval_avg",
        "source": Source.EVALUATIONS,
        "metric": Metric.EVAL_AVERAGE_LEVEL,
        "formula": Formula.AVERAGE,
        "target": Decimal(5),
        "weight": 80,
    },
]


def test_leave_pro_rates_the_volume_target(centre, window_staff, other_window_staff, leader, admin):
    scheme_with(centre, VOLUME)
    other_window_staff.window = window_staff.window
    other_window_staff.save()
    for person in (window_staff, other_window_staff):
        for day in range(5, 11):
            case(person, completed_at=at(2026, 1, day + 5))  # 6 completed each
    StaffLeave.objects.create(centre=centre, staff=window_staff, month=JAN, days=Decimal(7), entered_by=admin)

    run = scoring_run_month(centre=centre, month=JAN, actor=leader)

    on_leave = run.scores.get(staff=window_staff)
    # January 2026 has 21 working days (1–2 January off, Sunday 4 January worked): 7 days of leave leave
    # 14/21 of the month, so the target 12 becomes 8; 20 × 6/8 = 15.00 against 20 × 6/12 = 10.00.
    assert on_leave.working_days == 21 and on_leave.leave_days == Decimal(7)
    line = on_leave.indicator_scores.get(indicator__code="completed")
    assert line.score == Decimal("15.00")
    assert run.scores.get(staff=other_window_staff).indicator_scores.get(indicator__code="completed").score == Decimal(
        "10.00"
    )
    from development.scoring import explain

    assert "目标按比例折算为 8" in explain(line)


def test_staff_with_no_data_show_no_data_on_the_page_and_in_the_export(
    centre, window_staff, other_window_staff, leader, as_user
):
    from openpyxl import load_workbook

    scheme_with(centre, VOLUME)
    evaluation(window_staff, 5, at(2026, 1, 6))
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    assert run.scores.get(staff=other_window_staff).total is None and run.ranked_count == 1

    client = as_user(leader)
    page = client.get(reverse("staff:score-month", args=["2026-01"])).content.decode()
    assert 'data-testid="no-data"' in page and "本月无数据" in page
    rows = list(
        load_workbook(BytesIO(export_through_screens(client, "scores", {"month": "2026-01"}))).active.iter_rows(
            values_only=True
        )
    )
    by_name = {row[2]: row for row in rows[1:]}
    assert by_name["李娜"][4] == "无数据" and by_name["李娜"][5] is None and by_name["李娜"][8] == "否"
    mine = as_user(other_window_staff).get(reverse("staff:my-score")).content.decode()
    assert "无数据" in mine and "85.00" not in mine


# --- appeals -------------------------------------------------------------------------------------


def test_an_appeal_names_an_indicator_and_tells_the_leader_then_the_staff_member(
    twelve, centre, leader, admin, as_user, django_capture_on_commit_callbacks
):
    _points(twelve, JAN, admin, TWELVE)
    run = scoring_run_month(centre=centre, month=JAN, actor=leader)
    scoring_run_lock(run_id=run.id, actor=leader)
    appellant = twelve[11]

    form_page = as_user(appellant).get(reverse("staff:my-score")).content.decode()
    assert "（总体）" not in form_page and 'value="points"' in form_page
    with pytest.raises(ValidationFailed):
        score_appeal_file(staff=appellant, month=JAN, reason="漏记", indicator_code="")

    with django_capture_on_commit_callbacks(execute=True):
        appeal = score_appeal_file(staff=appellant, month=JAN, reason="漏记两项表扬", indicator_code="points")
    filed = Notice.objects.get(recipient=leader, key=f"score-appeal-filed-{appeal.id}")
    assert "员工11" in filed.text and "综合得分" in filed.text and f"#appeal-{appeal.id}" in filed.url

    with django_capture_on_commit_callbacks(execute=True):
        score_appeal_decide(
            appeal_id=appeal.id, actor=leader, upheld=True, decision="表扬信核实无误", corrected_value=Decimal(62)
        )
    appeal.refresh_from_db()
    assert (appeal.total_before, appeal.total_after) == (Decimal("40.00"), Decimal("62.00"))
    told = Notice.objects.get(recipient=appellant, key=f"score-appeal-decided-{appeal.id}")
    assert "成立" in told.text and "表扬信核实无误" in told.text and "40.00" in told.text and "62.00" in told.text
    page = as_user(appellant).get(reverse("staff:my-score")).content.decode()
    assert "处理前 40.00，处理后 62.00" in page


def test_a_rejected_appeal_tells_the_staff_member_too(
    twelve, centre, leader, admin, django_capture_on_commit_callbacks
):
    _points(twelve, JAN, admin, TWELVE)
    scoring_run_month(centre=centre, month=JAN, actor=leader)
    appeal = score_appeal_file(staff=twelve[3], month=JAN, reason="分数偏低", indicator_code="points")
    with django_capture_on_commit_callbacks(execute=True):
        score_appeal_decide(appeal_id=appeal.id, actor=leader, upheld=False, decision="录入无误")
    told = Notice.objects.get(recipient=twelve[3])
    assert "被驳回" in told.text and "录入无误" in told.text and "处理前 85.00，处理后 85.00" in told.text


# --- the mentor picker and the public board -------------------------------------------------------


def test_the_mentor_picker_offers_only_eligible_staff_and_says_why_others_are_missing(centre, window, leader, as_user):
    veteran = make_window_staff(centre=centre, window=window, username="vet", name="老赵", started_on=date(2015, 3, 1))
    Appraisal.objects.create(staff=veteran, year=date.today().year - 1, grade=Appraisal.Grade.EXCELLENT)
    junior = make_window_staff(centre=centre, window=window, username="jun", name="小钱", started_on=date(2024, 9, 1))
    average = make_window_staff(centre=centre, window=window, username="avg", name="老孙", started_on=date(2012, 1, 1))
    Appraisal.objects.create(staff=average, year=date.today().year - 1, grade=Appraisal.Grade.COMPETENT)

    response = as_user(leader).get(reverse("staff:mentors"))
    form = response.context["form"]
    assert list(form.fields["mentor"].queryset) == [veteran]
    assert set(form.fields["mentee"].queryset) == {veteran, junior, average}
    body = response.content.decode()
    assert 'data-testid="mentors-not-offered"' in body
    assert "小钱：窗口工作不满 5 年；最近一次年度考核不是优秀" in body
    assert "老孙：最近一次年度考核不是优秀" in body


def test_the_public_star_board_has_no_internal_only_wording(centre, client):
    body = client.get(reverse("staff:star-board", args=[centre.code])).content.decode()
    assert "数据仅限中心内部使用" not in body and 'data-testid="board-footer"' in body


def test_a_scheme_version_copies_its_tie_rule_and_talk_days(centre, admin):
    from development.models import TieRule
    from development.scoring import scheme_new_version

    scheme = scheme_with(centre, POINTS, tie_rule=TieRule.INDICATORS, talk_working_days=3)
    new = scheme_new_version(scheme=scheme, valid_from=FEB, actor=admin)
    assert (new.tie_rule, new.talk_working_days, new.bottom_min_headcount) == (TieRule.INDICATORS, 3, 10)


def test_a_leader_who_is_not_of_the_centre_cannot_record_a_talk(twelve, centre, admin, other_leader):
    _points(twelve, JAN, admin, TWELVE)
    leader = UserFactory.create(centre=centre, username="lead", roles=["leader"])
    scoring_run_lock(run_id=scoring_run_month(centre=centre, month=JAN, actor=leader).id, actor=leader)
    with pytest.raises(NotPermitted):
        reminder_talk_record(talk_id=ReminderTalk.objects.get().id, actor=other_leader, notes="越权")


def test_the_administrator_enters_leave_in_the_admin_for_a_month_not_yet_locked(
    centre, window_staff, leader, admin, as_user
):
    scheme_with(centre, VOLUME)
    client = as_user(admin)
    url = reverse("admin:development_staffleave_add")
    response = client.post(url, {"staff": window_staff.id, "month": "2026-01-15", "days": "3", "reason": "年休假"})
    assert response.status_code == 302, response.content.decode()[:2000]
    leave = StaffLeave.objects.get()
    assert (leave.month, leave.days, leave.centre, leave.entered_by) == (JAN, Decimal(3), centre, admin)

    evaluation(window_staff, 5, at(2026, 2, 6))
    scoring_run_lock(run_id=scoring_run_month(centre=centre, month=FEB, actor=leader).id, actor=leader)
    refused = client.post(url, {"staff": window_staff.id, "month": "2026-02-01", "days": "2", "reason": "病假"})
    assert refused.status_code == 200 and "已锁定" in refused.content.decode()
    assert StaffLeave.objects.count() == 1
