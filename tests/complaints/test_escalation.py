"""The "could not get it done" window: 2 / 5 working-day deadlines, the duty rota and swaps."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints import escalations as esc
from complaints.models import DutySlot, Escalation
from complaints.selectors import escalation_monthly
from complaints.tasks import feedback_warn_overdue_task
from govservice.exceptions import NotPermitted, ValidationFailed
from notifications.models import Notice
from tests.factories.staff import DepartmentFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
THURSDAY_BEFORE_HOLIDAY = datetime(2026, 4, 30, 9, 30, tzinfo=TZ)


def _register(centre, leader, kind=Escalation.Kind.GENERAL, **kwargs) -> Escalation:
    return esc.escalation_register(
        centre=centre,
        actor=leader,
        kind=kind,
        content="企业变更登记涉及两个部门，来回跑了三次",
        citizen_phone="13900001234",
        received_at=THURSDAY_BEFORE_HOLIDAY,
        **kwargs,
    )


def test_a_general_matter_is_due_in_2_working_days(centre, leader):
    assert _register(centre, leader).due_date == date(2026, 5, 7)  # 1–5 May are holidays


def test_a_complex_matter_is_due_in_5_working_days(centre, leader):
    # 6, 7, 8, 9 (the adjusted working Saturday), 11
    assert _register(centre, leader, kind=Escalation.Kind.COMPLEX).due_date == date(2026, 5, 11)


def test_reclassifying_recounts_the_deadline_from_the_day_received(centre, leader):
    escalation = _register(centre, leader)
    escalation = esc.escalation_reclassify(escalation_id=escalation.id, kind=Escalation.Kind.COMPLEX, actor=leader)
    assert escalation.due_date == date(2026, 5, 11)


def test_window_staff_cannot_register_a_matter(centre, window_staff):
    with pytest.raises(NotPermitted):
        _register(centre, window_staff)


def test_a_complex_matter_needs_its_special_report_before_it_counts_as_solved(centre, leader):
    escalation = _register(centre, leader, kind=Escalation.Kind.COMPLEX)
    department = DepartmentFactory(centre=centre, name="人社局")
    esc.escalation_add_department(escalation_id=escalation.id, department=department, part="社保转移", actor=leader)
    with pytest.raises(ValidationFailed) as caught:
        esc.escalation_resolve(escalation_id=escalation.id, solved=True, outcome="已协调", actor=leader)
    assert caught.value.field == "report"
    esc.escalation_write_report(escalation_id=escalation.id, report="一、基本情况……", actor=leader)
    item = escalation.departments.get()
    esc.escalation_department_answer(item_id=item.id, answer="已办理转移", actor=leader)
    with time_machine.travel(datetime(2026, 5, 8, 10, 0, tzinfo=TZ)):
        esc.escalation_resolve(escalation_id=escalation.id, solved=True, outcome="已协调办结", actor=leader)
    esc.escalation_close(escalation_id=escalation.id, satisfaction=5, actor=leader)
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.satisfaction == 5
    months = {m.month: m for m in escalation_monthly(user=leader, year=2026)}
    assert (months["2026-04"].received, months["2026-04"].solved) == (1, 0)
    assert (months["2026-05"].solved, months["2026-05"].solved_in_time) == (1, 1)


def test_an_overdue_matter_warns_the_leader_once(centre, leader):
    _register(centre, leader)
    with time_machine.travel(datetime(2026, 5, 8, 9, 0, tzinfo=TZ)):
        assert feedback_warn_overdue_task() == 1
        assert feedback_warn_overdue_task() == 0
    assert Notice.objects.filter(recipient=leader, key__startswith="escalation-overdue").count() == 1


def test_the_default_rota_is_tuesday_and_thursday_mornings_and_a_swap_wins(centre, leader, second_leader):
    slots = esc.duty_rota_seed(centre=centre)
    assert sorted((s.weekday, s.half) for s in slots) == [(1, "am"), (3, "am")]
    tuesday = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)
    thursday = datetime(2026, 3, 5, 9, 0, tzinfo=TZ)
    assert esc.duty_leader_on(centre=centre, when=tuesday) == leader
    assert esc.duty_leader_on(centre=centre, when=thursday) == second_leader
    assert esc.duty_leader_on(centre=centre, when=datetime(2026, 3, 3, 15, 0, tzinfo=TZ)) is None
    esc.duty_swap(centre=centre, on=date(2026, 3, 3), half="am", leader=second_leader, actor=leader)
    assert esc.duty_leader_on(centre=centre, when=tuesday) == second_leader
    esc.duty_slot_set(centre=centre, weekday=DutySlot.Weekday.THU, half="am", leader=leader, actor=leader)
    assert esc.duty_leader_on(centre=centre, when=thursday) == leader


def test_only_a_leader_of_the_centre_can_be_on_duty(centre, leader, window_staff, other_leader):
    with pytest.raises(ValidationFailed):
        esc.duty_slot_set(centre=centre, weekday=1, half="am", leader=window_staff, actor=leader)
    with pytest.raises(ValidationFailed):
        esc.duty_swap(centre=centre, on=date(2026, 3, 3), half="am", leader=other_leader, actor=leader)
