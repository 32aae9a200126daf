"""The work order on the complaint page and list (clock, warnings, a button per allowed step, each confirmed
before it is taken) and the extension request in the leader's inbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from complaints import services
from complaints.models import WorkOrder
from dashboard.inbox.items import Kind, inbox_for
from tests.factories.work_orders import work_order

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def _step_url(order: WorkOrder, action: str) -> str:
    return reverse("complaints:work-order-step", args=[order.complaint.public_id, action])


def test_the_page_shows_the_clock_and_only_the_steps_allowed_now(as_user, centre, window_staff):
    order = work_order(centre, owner=window_staff)
    body = as_user(window_staff).get(order.complaint.get_absolute_url()).content.decode()
    assert 'data-testid="work-order-sign"' in body and 'data-testid="work-order-return"' in body
    assert 'data-testid="work-order-answer"' not in body  # not signed yet
    assert 'data-testid="work-order-approve_extension"' not in body  # a leader's step
    assert order.order_no in body and 'data-testid="work-order-clock"' in body


def test_a_first_post_only_asks_to_confirm_and_the_confirmed_one_takes_the_step(as_user, centre, window_staff):
    order = work_order(centre, owner=window_staff)
    client = as_user(window_staff)
    asked = client.post(_step_url(order, "return"), {"note": "不属于本中心职责，应由住建部门办理"})
    assert asked.status_code == 200
    assert 'data-testid="work-order-confirm"' in asked.content.decode()
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.AWAITING_SIGN
    done = client.post(_step_url(order, "return"), {"note": "不属于本中心职责，应由住建部门办理", "confirm": "on"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.RETURNED
    assert order.events.latest("id").actor == window_staff


def test_a_step_needing_a_reason_without_one_is_refused_next_to_the_field(as_user, centre, window_staff):
    order = work_order(centre, owner=window_staff)
    response = as_user(window_staff).post(_step_url(order, "return"), {"note": "", "confirm": "on"})
    assert response.status_code == 400
    assert "该字段是必填项。" in response.content.decode()
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.AWAITING_SIGN


def test_a_step_the_user_may_not_take_changes_nothing(as_user, centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    services.work_order_transition(work_order_id=order.id, action="sign", actor=window_staff)
    services.work_order_transition(
        work_order_id=order.id, action="request_extension", actor=window_staff, note="需会商", days=2
    )
    response = as_user(window_staff).post(_step_url(order, "approve_extension"), {"confirm": "on"})
    assert response.status_code == 302
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.EXTENSION_REQUESTED


def test_the_list_shows_a_red_warning_for_an_overdue_stage(as_user, centre, leader):
    with time_machine.travel(datetime(2026, 3, 6, 10, 0, tzinfo=SH), tick=False):
        work_order(centre)
    with time_machine.travel(datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False):
        body = as_user(leader).get(reverse("complaints:complaint-list")).content.decode()
    assert "status-danger" in body


def test_an_extension_request_waits_in_the_leaders_inbox_and_is_decided_there(as_user, centre, window_staff, leader):
    order = work_order(centre, owner=window_staff)
    services.work_order_transition(work_order_id=order.id, action="sign", actor=window_staff)
    services.work_order_transition(
        work_order_id=order.id, action="request_extension", actor=window_staff, note="涉及两个部门会商", days=3
    )
    assert [i.kind for i in inbox_for(user=leader)].count(Kind.EXTENSION) == 1
    client = as_user(leader)
    url = reverse("dashboard:inbox-decide", args=[Kind.EXTENSION, order.id])
    asked = client.post(url, {"choice": "approve", "reason": ""})
    assert "confirm-what" in asked.content.decode()
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.EXTENSION_REQUESTED
    refused = client.post(url, {"choice": "refuse", "reason": "", "confirm": "1"})
    assert WorkOrder.objects.get(id=order.id).status == WorkOrder.Status.EXTENSION_REQUESTED
    assert refused.status_code == 200
    client.post(url, {"choice": "approve", "reason": "同意", "confirm": "1"})
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.HANDLING and order.extended_days == 3
    assert order.events.latest("id").actor == leader
    assert Kind.EXTENSION not in [i.kind for i in inbox_for(user=leader)]


def test_window_staff_have_no_extension_to_decide(centre, window_staff, other_leader):
    order = work_order(centre, owner=window_staff)
    services.work_order_transition(work_order_id=order.id, action="sign", actor=window_staff)
    services.work_order_transition(
        work_order_id=order.id, action="request_extension", actor=window_staff, note="x", days=1
    )
    assert Kind.EXTENSION not in [i.kind for i in inbox_for(user=other_leader)]
