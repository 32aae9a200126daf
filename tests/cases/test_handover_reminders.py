"""An unanswered hand-over offer: its receiver is reminded after HANDOVER_REMIND_AFTER_WORKING_HOURS working
hours, the centre's leaders are told after HANDOVER_ESCALATE_AFTER_WORKING_HOURS. Before this, an offer could
wait for ever with nobody told."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services
from cases.models import CaseEvent, Handover
from cases.services.handover_reminders import working_hours_between
from cases.tasks import cases_remind_handovers
from govservice.workdays import WorkCalendar
from notifications.models import Notice

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)  # 2 March 2026 is a Monday


@pytest.fixture(autouse=True)
def _thresholds(settings):
    settings.HANDOVER_REMIND_AFTER_WORKING_HOURS = 4
    settings.HANDOVER_ESCALATE_AFTER_WORKING_HOURS = 8


@pytest.fixture
def offer(log_case, window_staff, other_window_staff, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2, 9), tick=False):
        case = log_case(window_staff)
        with django_capture_on_commit_callbacks(execute=True):
            return services.case_handover_offer(
                case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="需专业窗口办理"
            )


def _run(when: datetime, callbacks) -> int:
    with time_machine.travel(when, tick=False), callbacks(execute=True):
        return cases_remind_handovers()


def test_the_receiver_is_reminded_then_the_leaders_are_told(
    offer, other_window_staff, leader, django_capture_on_commit_callbacks
):
    run = django_capture_on_commit_callbacks
    assert _run(at(2, 12), run) == 0  # 3 working hours: not yet
    assert _run(at(2, 14), run) == 1  # 5 working hours: the receiver is reminded
    reminder = Notice.objects.get(recipient=other_window_staff, key__contains=":remind:")
    assert offer.case.tracking_no in reminder.text
    assert not Notice.objects.filter(recipient=leader).exists()
    assert _run(at(2, 15), run) == 0  # reminded once only
    assert _run(at(2, 17), run) == 1  # 8 working hours: the centre's leaders are told
    told = Notice.objects.get(recipient=leader, key__contains=":escalate:")
    assert other_window_staff.name in told.text
    assert _run(at(3, 10), run) == 0  # and only once
    offer.refresh_from_db()
    assert offer.reminded_at is not None and offer.escalated_at is not None
    warnings = CaseEvent.objects.filter(case=offer.case, kind=CaseEvent.Kind.WARNING)
    assert warnings.count() == 2


def test_nights_and_weekends_are_not_working_hours(
    log_case, window_staff, other_window_staff, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(6, 15), tick=False):  # Friday 15:00
        case = log_case(window_staff)
        services.case_handover_offer(
            case_id=case.id, actor=window_staff, to_user_id=other_window_staff.id, reason="需专业窗口办理"
        )
    assert _run(at(9, 10), django_capture_on_commit_callbacks) == 0  # Fri 2 h + Mon 1 h = 3 h
    assert _run(at(9, 11, 30), django_capture_on_commit_callbacks) == 1  # 4.5 h
    calendar = WorkCalendar(overrides={}, complete_years=frozenset())
    assert working_hours_between(at(6, 15), at(9, 11, 30), calendar) == 4.5


def test_an_answered_offer_is_left_alone(offer, other_window_staff, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2, 10), tick=False):
        services.case_handover_respond(handover_id=offer.id, actor=other_window_staff, accept=True)
    assert _run(at(3, 16), django_capture_on_commit_callbacks) == 0
    assert not Notice.objects.filter(key__contains=":remind:").exists()


def test_a_redirected_offer_starts_its_clock_again(
    offer, other_window_staff, leader, centre, django_capture_on_commit_callbacks
):
    from tests.factories.staff import window_staff as make_window_staff

    third = make_window_staff(centre=centre, username="third", name="王芳")
    assert _run(at(2, 14), django_capture_on_commit_callbacks) == 1
    with time_machine.travel(at(2, 15), tick=False):
        services.case_handover_redirect(
            handover_id=offer.id, from_user=other_window_staff, to_user=third, actor=leader, reason="李娜请假"
        )
    assert Handover.objects.get(id=offer.id).reminded_at is None
    assert _run(at(2, 17), django_capture_on_commit_callbacks) == 0  # 2 h for the new receiver
    assert _run(at(3, 11), django_capture_on_commit_callbacks) == 1
    assert Notice.objects.filter(recipient=third, key__contains=":remind:").exists()
