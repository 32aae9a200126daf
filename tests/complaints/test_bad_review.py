"""The bad-review flow: deadlines from the policy table, verify/rectify/callback, appeal, overdue warnings."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints import services
from complaints.models import BadReview, Evaluation, FeedbackPolicy
from complaints.tasks import feedback_warn_overdue_task
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from notifications.models import Notice
from tests.factories.complaints import problem_for

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
# Thursday before the 2026 Labour Day holiday (1–5 May off, Saturday 9 May worked).
BEFORE_HOLIDAY = datetime(2026, 4, 30, 10, 0, tzinfo=TZ)


def _bad(centre, qr_channel, window_staff, level=1, **kwargs) -> BadReview:
    evaluation = services.evaluation_submit(
        centre=centre, channel=qr_channel, level=level, staff=window_staff, rated_at=BEFORE_HOLIDAY, **kwargs
    )
    return evaluation.bad_review


def test_deadlines_count_working_days_across_the_holiday(centre, qr_channel, window_staff, centre_admin):
    bad_review = _bad(centre, qr_channel, window_staff)
    assert bad_review.contact_due == date(2026, 5, 6)
    assert bad_review.rectify_due == date(2026, 5, 11)  # 6, 7, 8, 9 (adjusted Saturday), 11
    assert bad_review.owner == centre_admin


def test_the_policy_table_changes_the_deadlines(centre, qr_channel, window_staff):
    FeedbackPolicy.objects.create(centre=centre, contact_days=2, rectify_days=3)
    bad_review = _bad(centre, qr_channel, window_staff, level=2)
    assert bad_review.contact_due == date(2026, 5, 7)
    assert bad_review.rectify_due == date(2026, 5, 8)


def test_true_bad_review_is_contacted_rectified_and_called_back(centre, qr_channel, window_staff, centre_admin):
    bad_review = _bad(centre, qr_channel, window_staff)
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin, note="电话联系")
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="true", note="属实", actor=centre_admin)
    bad_review.refresh_from_db()
    assert bad_review.status == BadReview.Status.RECTIFYING
    services.bad_review_rectify(bad_review_id=bad_review.id, rectification="约谈并培训", actor=centre_admin)
    services.bad_review_callback(bad_review_id=bad_review.id, satisfied=True, note="满意", actor=centre_admin)
    bad_review.refresh_from_db()
    assert bad_review.status == BadReview.Status.CLOSED
    actions = list(bad_review.evaluation.events.values_list("action", flat=True))
    assert actions == ["submitted", "bad_review_opened", "contacted", "verified:true", "rectified", "called_back"]


def test_a_complex_bad_review_needs_a_ledger_problem_and_gets_15_working_days(
    centre, qr_channel, window_staff, centre_admin, leader
):
    bad_review = _bad(centre, qr_channel, window_staff)
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    with pytest.raises(ValidationFailed) as caught:
        services.bad_review_verify(bad_review_id=bad_review.id, verdict="partly", is_complex=True, actor=centre_admin)
    assert caught.value.field == "problem"
    problem = problem_for(centre, leader)
    bad_review = services.bad_review_verify(
        bad_review_id=bad_review.id, verdict="partly", is_complex=True, problem=problem, actor=centre_admin
    )
    assert bad_review.rectify_due == date(2026, 5, 25)
    assert bad_review.problem == problem


def test_steps_cannot_be_skipped(centre, qr_channel, window_staff, centre_admin):
    bad_review = _bad(centre, qr_channel, window_staff)
    with pytest.raises(InvalidTransition):
        services.bad_review_rectify(bad_review_id=bad_review.id, rectification="x", actor=centre_admin)
    with pytest.raises(InvalidTransition):
        services.bad_review_callback(bad_review_id=bad_review.id, satisfied=True, note="", actor=centre_admin)


def test_every_transition_in_the_table_is_allowed_and_others_are_refused():
    statuses = set(BadReview.Status.values)
    assert set(BadReview.TRANSITIONS) == statuses
    for targets in BadReview.TRANSITIONS.values():
        assert targets <= statuses
    assert not BadReview.TRANSITIONS[BadReview.Status.CLOSED]
    assert not BadReview.TRANSITIONS[BadReview.Status.EXCLUDED]


def test_a_malicious_review_upheld_on_appeal_by_a_leader_stops_counting(
    centre, qr_channel, window_staff, centre_admin, leader
):
    bad_review = _bad(centre, qr_channel, window_staff)
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(
        bad_review_id=bad_review.id, verdict="malicious", note="监控显示未到窗口", actor=centre_admin
    )
    with pytest.raises(NotPermitted):
        services.bad_review_decide_appeal(bad_review_id=bad_review.id, upheld=True, decision="x", actor=centre_admin)
    services.bad_review_decide_appeal(bad_review_id=bad_review.id, upheld=True, decision="申诉成立", actor=leader)
    evaluation = Evaluation.objects.get(id=bad_review.evaluation_id)
    assert evaluation.excluded
    assert BadReview.objects.get(id=bad_review.id).status == BadReview.Status.EXCLUDED


def test_a_rejected_appeal_goes_back_to_rectification(centre, qr_channel, window_staff, centre_admin, leader):
    bad_review = _bad(centre, qr_channel, window_staff)
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="mistaken", note="误点", actor=centre_admin)
    services.bad_review_decide_appeal(bad_review_id=bad_review.id, upheld=False, decision="证据不足", actor=leader)
    bad_review.refresh_from_db()
    assert bad_review.status == BadReview.Status.RECTIFYING
    assert not bad_review.evaluation.excluded


def test_a_window_staff_member_cannot_handle_someone_elses_bad_review(
    centre, qr_channel, window_staff, other_window_staff
):
    bad_review = _bad(centre, qr_channel, window_staff)
    with pytest.raises(NotPermitted):
        services.bad_review_contact(bad_review_id=bad_review.id, actor=other_window_staff)


def test_one_follow_up_rating_after_rectification(centre, qr_channel, window_staff, centre_admin):
    bad_review = _bad(centre, qr_channel, window_staff)
    with pytest.raises(InvalidTransition):
        services.evaluation_follow_up(evaluation=bad_review.evaluation, level=5)
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="true", actor=centre_admin)
    services.bad_review_rectify(bad_review_id=bad_review.id, rectification="整改", actor=centre_admin)
    follow_up = services.evaluation_follow_up(evaluation=bad_review.evaluation, level=4, text="改进了")
    assert follow_up.follow_up_of_id == bad_review.evaluation_id
    with pytest.raises(Conflict):
        services.evaluation_follow_up(evaluation=bad_review.evaluation, level=5)


def test_overdue_steps_warn_the_owner_and_the_leader_once(centre, qr_channel, window_staff, centre_admin, leader):
    bad_review = _bad(centre, qr_channel, window_staff)
    with time_machine.travel(datetime(2026, 5, 6, 18, 0, tzinfo=TZ)):
        assert feedback_warn_overdue_task() == 0  # the contact deadline is today: not yet overdue
    with time_machine.travel(datetime(2026, 5, 7, 9, 0, tzinfo=TZ)):
        assert feedback_warn_overdue_task() == 2
        assert feedback_warn_overdue_task() == 0  # idempotent
    assert set(Notice.objects.filter(key__startswith="bad-review-overdue").values_list("recipient", flat=True)) == {
        centre_admin.id,
        leader.id,
    }
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    with time_machine.travel(datetime(2026, 5, 12, 9, 0, tzinfo=TZ)):
        assert feedback_warn_overdue_task() == 2  # the rectify step is late now
        assert feedback_warn_overdue_task() == 0
