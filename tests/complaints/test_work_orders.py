"""12345 work orders inside a complaint: the state table walked whole, who may take which step, the reasons,
and each stage's working-day clock with its yellow and red warnings (time-machine)."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from complaints import services, signals
from complaints.models import Complaint, FeedbackPolicy, WorkOrder, WorkOrderEvent
from complaints.work_order_clock import Warning, stage_clock
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from tests.factories.work_orders import work_order

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
Action, Status = WorkOrder.Action, WorkOrder.Status
STEPS = [a for a in Action.values if a != Action.RECEIVE]


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def _take(order: WorkOrder, action: str, *, staff, leader, **kwargs) -> WorkOrder:
    """One step by whoever takes it: the hotline for its callback, the leader for extensions, else staff."""
    if action == Action.CALLBACK:
        who = {"actor": None, "by_platform": True, "callback_result": kwargs.pop("result", "satisfied")}
    elif action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        who = {"actor": leader}
    else:
        who = {"actor": staff}
    return services.work_order_transition(
        work_order_id=order.id, action=action, note=kwargs.pop("note", "理由"), days=kwargs.pop("days", 3), **who
    )


def _put(order: WorkOrder, status: str) -> None:
    """Set a status directly (the walk's starting point), with the complaint in the matching status."""
    statuses: dict[str, str] = {
        Status.ANSWERED: Complaint.Status.REPLIED,
        Status.CLOSED: Complaint.Status.CLOSED,
        Status.RETURNED: Complaint.Status.RETURNED,
    }
    complaint_status = statuses.get(status, Complaint.Status.ASSIGNED)
    extension = {"extension_days": 2} if status == Status.EXTENSION_REQUESTED else {}
    WorkOrder.objects.filter(id=order.id).update(status=status, **extension)
    Complaint.objects.filter(id=order.complaint_id).update(status=complaint_status)


@pytest.mark.parametrize(("start", "action"), list(itertools.product(Status.values, STEPS)))
def test_every_step_from_every_status_follows_the_table(start, action, centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    _put(order, start)
    before = WorkOrderEvent.objects.filter(work_order=order).count()
    target = WorkOrder.TRANSITIONS[start].get(action)
    if target is None:
        with pytest.raises(InvalidTransition):
            _take(order, action, staff=window_staff, leader=leader)
        order.refresh_from_db()
        assert order.status == start
        assert WorkOrderEvent.objects.filter(work_order=order).count() == before
        return
    done = _take(order, action, staff=window_staff, leader=leader)
    assert done.status == target
    event = WorkOrderEvent.objects.filter(work_order=order).latest("id")
    assert (event.action, event.old_status, event.new_status) == (action, start, target)
    if action == Action.CALLBACK:
        assert event.actor is None and event.by_platform
    else:
        assert event.actor == (leader if "extension" in action and action != Action.REQUEST_EXTENSION else window_staff)


def test_the_whole_lifecycle_keeps_the_complaint_in_step(centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    _take(order, Action.SIGN, staff=window_staff, leader=leader)
    assert Complaint.objects.get(id=order.complaint_id).status == Complaint.Status.ASSIGNED
    _take(order, Action.ANSWER, staff=window_staff, leader=leader, note="已协调窗口一次办结")
    complaint = Complaint.objects.get(id=order.complaint_id)
    assert complaint.status == Complaint.Status.REPLIED and complaint.reply == "已协调窗口一次办结"
    order = _take(order, Action.CALLBACK, staff=window_staff, leader=leader, result="not_satisfied")
    assert order.status == Status.HANDLING and order.rounds == 2
    assert Complaint.objects.get(id=order.complaint_id).status == Complaint.Status.REOPENED
    _take(order, Action.ANSWER, staff=window_staff, leader=leader, note="再次答复")
    order = _take(order, Action.CALLBACK, staff=window_staff, leader=leader, result="basically_satisfied")
    complaint = Complaint.objects.get(id=order.complaint_id)
    assert order.status == Status.CLOSED and complaint.status == Complaint.Status.CLOSED
    assert complaint.callback_satisfied is True


def test_a_returned_order_is_finished_for_the_centre(centre, window_staff, leader):
    order = _take(work_order(centre, owner=window_staff), Action.RETURN, staff=window_staff, leader=leader)
    assert order.status == Status.RETURNED
    assert Complaint.objects.get(id=order.complaint_id).status == Complaint.Status.RETURNED


@pytest.mark.parametrize("action", [Action.RETURN, Action.REQUEST_EXTENSION, Action.ANSWER])
def test_a_step_that_needs_a_reason_refuses_an_empty_one(action, centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    if action != Action.RETURN:
        _take(order, Action.SIGN, staff=window_staff, leader=leader)
    with pytest.raises(ValidationFailed) as refused:
        _take(order, action, staff=window_staff, leader=leader, note="  ")
    assert refused.value.field == "note"
    assert WorkOrder.objects.get(id=order.id).status != WorkOrder.TRANSITIONS[Status.HANDLING].get(action)


def test_refusing_an_extension_needs_a_reason_and_approving_does_not(centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    _take(order, Action.SIGN, staff=window_staff, leader=leader)
    _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=2)
    with pytest.raises(ValidationFailed):
        _take(order, Action.REFUSE_EXTENSION, staff=window_staff, leader=leader, note="")
    assert _take(order, Action.APPROVE_EXTENSION, staff=window_staff, leader=leader, note="").status == Status.HANDLING


def test_window_staff_cannot_decide_an_extension_and_staff_cannot_record_the_callback(
    centre, window_staff, leader, other_leader
):
    order = work_order(centre, owner=window_staff)
    _take(order, Action.SIGN, staff=window_staff, leader=leader)
    _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader)
    for actor in (window_staff, other_leader):
        with pytest.raises(NotPermitted):
            services.work_order_transition(work_order_id=order.id, action=Action.APPROVE_EXTENSION, actor=actor)
    _put(order, Status.ANSWERED)
    with pytest.raises(NotPermitted):
        services.work_order_transition(
            work_order_id=order.id, action=Action.CALLBACK, actor=leader, callback_result="satisfied"
        )
    assert WorkOrder.objects.get(id=order.id).status == Status.ANSWERED


def test_someone_outside_the_order_cannot_sign_it(centre, window_staff, other_window_staff, foreign_staff, liaison):
    order = work_order(centre)  # nobody answers for it yet
    for outsider in (window_staff, foreign_staff):
        with pytest.raises(NotPermitted):
            services.work_order_transition(work_order_id=order.id, action=Action.SIGN, actor=outsider)
    # The centre's feedback staff may sign an unowned order, and then answer for it.
    services.work_order_transition(work_order_id=order.id, action=Action.SIGN, actor=liaison)
    assert Complaint.objects.get(id=order.complaint_id).owner == liaison


def test_an_extension_is_at_most_the_centres_maximum_in_all(centre, window_staff, leader):
    FeedbackPolicy.objects.create(centre=centre, work_order_extension_max_days=4)
    order = work_order(centre, owner=window_staff)
    _take(order, Action.SIGN, staff=window_staff, leader=leader)
    with pytest.raises(ValidationFailed) as refused:
        _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=5)
    assert refused.value.field == "days"
    _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=3)
    _take(order, Action.APPROVE_EXTENSION, staff=window_staff, leader=leader)
    with pytest.raises(ValidationFailed):
        _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=2)
    assert _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=1).extension_days == 1


def test_a_repeated_callback_from_the_hotline_changes_nothing(centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    _put(order, Status.ANSWERED)
    _take(order, Action.CALLBACK, staff=window_staff, leader=leader, result="satisfied")
    events = WorkOrderEvent.objects.filter(work_order=order).count()
    assert _take(order, Action.CALLBACK, staff=window_staff, leader=leader, result="satisfied").status == Status.CLOSED
    assert WorkOrderEvent.objects.filter(work_order=order).count() == events


def test_the_change_is_announced_inside_the_steps_transaction(centre, window_staff, leader):
    seen = []

    def receiver(sender, work_order, event, **kwargs):
        seen.append((event.action, work_order.status, transaction.get_connection().in_atomic_block))

    signals.work_order_changed.connect(receiver, dispatch_uid="test-work-order-changed")
    try:
        order = work_order(centre, owner=window_staff)
        _take(order, Action.SIGN, staff=window_staff, leader=leader)
    finally:
        signals.work_order_changed.disconnect(dispatch_uid="test-work-order-changed")
    assert [(a, s) for a, s, _atomic in seen] == [
        (Action.RECEIVE, Status.AWAITING_SIGN),
        (Action.SIGN, Status.HANDLING),
    ]
    assert all(atomic for _a, _s, atomic in seen)


# --- the clocks ---------------------------------------------------------------------------------


def test_the_default_clocks_count_working_days_from_the_day_it_arrived(centre):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):  # a Friday
        order = work_order(centre)
    assert timezone.localtime(order.sign_due_at) == _at(2026, 3, 9, 17, 30)  # Monday
    assert timezone.localtime(order.return_due_at) == _at(2026, 3, 10, 17, 30)
    assert timezone.localtime(order.handle_due_at) == _at(2026, 3, 13, 17, 30)
    assert Complaint.objects.get(id=order.complaint_id).reply_due_at == order.handle_due_at


def test_the_clocks_skip_the_national_day_holiday(centre):
    with time_machine.travel(_at(2026, 9, 30, 9, 0), tick=False):
        order = work_order(centre)
    assert timezone.localtime(order.sign_due_at).date().isoformat() == "2026-10-08"


def test_a_centres_own_days_set_the_clocks(centre):
    FeedbackPolicy.objects.create(centre=centre, work_order_sign_days=2, work_order_handle_days=3)
    with time_machine.travel(_at(2026, 3, 2, 9, 0), tick=False):  # a Monday
        order = work_order(centre)
    assert timezone.localtime(order.sign_due_at).date().isoformat() == "2026-03-04"
    assert timezone.localtime(order.handle_due_at).date().isoformat() == "2026-03-05"


def test_the_sign_clock_turns_red_once_passed_and_signing_stops_it(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre, owner=window_staff)
    assert stage_clock(order, _at(2026, 3, 9, 17, 0)).warning == Warning.YELLOW  # on its one day
    assert stage_clock(order, _at(2026, 3, 9, 17, 31)).warning == Warning.RED
    with time_machine.travel(_at(2026, 3, 9, 18, 0), tick=False):
        order = _take(order, Action.SIGN, staff=window_staff, leader=leader)
    clock = stage_clock(order, _at(2026, 3, 9, 18, 0))
    assert clock.stage == "办理期限" and clock.warning == Warning.NONE


def test_the_handling_clock_turns_yellow_at_80_percent_and_red_when_overdue(centre):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre)
    WorkOrder.objects.filter(id=order.id).update(status=Status.HANDLING)
    order.refresh_from_db()
    assert stage_clock(order, _at(2026, 3, 12, 10, 0)).warning == Warning.NONE  # 3 of 5 days gone
    assert stage_clock(order, _at(2026, 3, 12, 17, 30)).warning == Warning.YELLOW  # 4 of 5 gone
    assert stage_clock(order, _at(2026, 3, 13, 17, 30)).warning == Warning.YELLOW  # the deadline itself
    assert stage_clock(order, _at(2026, 3, 13, 17, 31)).warning == Warning.RED


def test_an_approved_extension_moves_the_handling_deadline_by_working_days(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre, owner=window_staff)
        _take(order, Action.SIGN, staff=window_staff, leader=leader)
        _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=3)
        order = _take(order, Action.APPROVE_EXTENSION, staff=window_staff, leader=leader)
    assert timezone.localtime(order.handle_due_at) == _at(2026, 3, 18, 17, 30)  # Fri + 3 working days
    assert order.extended_days == 3 and order.handle_working_days == 8
    assert Complaint.objects.get(id=order.complaint_id).reply_due_at == order.handle_due_at


def test_a_refused_extension_keeps_the_deadline(centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    due = order.handle_due_at
    _take(order, Action.SIGN, staff=window_staff, leader=leader)
    _take(order, Action.REQUEST_EXTENSION, staff=window_staff, leader=leader, days=3)
    order = _take(order, Action.REFUSE_EXTENSION, staff=window_staff, leader=leader, note="情况并不复杂")
    assert order.handle_due_at == due and order.extension_days is None


def test_returning_is_refused_once_the_return_window_has_passed(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre, owner=window_staff)
    with time_machine.travel(_at(2026, 3, 11, 9, 0), tick=False), pytest.raises(ValidationFailed):
        _take(order, Action.RETURN, staff=window_staff, leader=leader)
    assert WorkOrder.objects.get(id=order.id).status == Status.AWAITING_SIGN


def test_not_satisfied_starts_a_new_handling_clock_from_the_callback_day(centre, window_staff, leader):
    with time_machine.travel(_at(2026, 3, 6, 10, 0), tick=False):
        order = work_order(centre, owner=window_staff)
    _put(order, Status.ANSWERED)
    with time_machine.travel(_at(2026, 3, 16, 11, 0), tick=False):  # a Monday
        order = _take(order, Action.CALLBACK, staff=window_staff, leader=leader, result="not_satisfied")
    assert timezone.localtime(order.handle_due_at) == _at(2026, 3, 23, 17, 30)


def test_the_complaints_own_reply_and_callback_refuse_a_work_order(centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    with pytest.raises(ValidationFailed):
        services.complaint_reply(complaint_id=order.complaint_id, reply="x", actor=leader)
    assert Complaint.objects.get(id=order.complaint_id).reply == ""


def test_a_work_order_has_no_pause_for_the_citizen(centre, window_staff):
    order = work_order(centre, owner=window_staff)
    with pytest.raises(ValidationFailed):
        services.complaint_wait_for_citizen(complaint_id=order.complaint_id, actor=window_staff, note="补材料")
    assert Complaint.objects.get(id=order.complaint_id).status == Complaint.Status.RECEIVED
