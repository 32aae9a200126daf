"""Every step of a work order goes back to the hotline through the platform outbox, queued in the step's
transaction: tested against a fake hotline platform on 127.0.0.1 that checks the signature and answers
with errors and time-outs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, WorkOrder
from govservice.exceptions import InvalidTransition
from intake.models import HotlinePlatform, PlatformMessage
from intake.platforms.outbox import platform_send_pending
from intake.work_orders import HOTLINE_OUTBOX, work_order_receive
from tests.factories.intake import hotline_channel
from tests.intake.platforms.fake_platform import FakePlatform, Reply, serve

pytestmark = pytest.mark.django_db

SECRET = "hotline-outbox-secret-0123456789"
Status = PlatformMessage.Status


@pytest.fixture
def fake_hotline(settings) -> Iterator[FakePlatform]:
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.PLATFORM_ALLOW_HTTP = True
    settings.PLATFORM_READ_TIMEOUT_SECONDS = 1
    for running in serve(FakePlatform(secret=SECRET)):
        settings.PLATFORM_ENDPOINTS = {
            **settings.PLATFORM_ENDPOINTS,
            HOTLINE_OUTBOX: {"url": running.url, "secret": SECRET},
        }
        yield running


@pytest.fixture
def order(centre) -> WorkOrder:
    platform = HotlinePlatform.objects.create(
        code="city-12345", name="市12345", channel=hotline_channel(centre), secret="in"
    )
    order, _created = work_order_receive(platform=platform, data={"order_no": "GD-77", "content": "窗口推诿"})
    return order


def _step(order: WorkOrder, action: str, actor, **kwargs) -> WorkOrder:
    return services.work_order_transition(work_order_id=order.id, action=action, actor=actor, **kwargs)


def test_each_step_is_sent_once_signed_and_in_order(order, leader, fake_hotline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _step(order, "sign", leader)
    with django_capture_on_commit_callbacks(execute=True):
        _step(order, "request_extension", leader, note="需会商", days=2)
    with django_capture_on_commit_callbacks(execute=True):
        _step(order, "approve_extension", leader)
    with django_capture_on_commit_callbacks(execute=True):
        _step(order, "answer", leader, note="已办结，联系电话13800001234已回复")
    assert fake_hotline.bad_signatures == 0
    assert [item["payload"]["action"] for item in fake_hotline.accepted] == [
        "sign",
        "request_extension",
        "approve_extension",
        "answer",
    ]
    assert fake_hotline.by_stream() == {"GD-77": [1, 2, 3, 4]}
    assert not fake_hotline.duplicates
    answer = fake_hotline.accepted[-1]["payload"]
    assert answer["status"] == "answered" and "13800001234" not in json.dumps(answer, ensure_ascii=False)
    assert fake_hotline.accepted[1]["payload"]["extension_days"] == 2


def test_the_arrival_and_the_hotlines_own_callback_are_not_sent_back(order, leader, fake_hotline):
    assert not PlatformMessage.objects.exists()  # the arrival came from the hotline
    WorkOrder.objects.filter(id=order.id).update(status=WorkOrder.Status.ANSWERED)
    Complaint.objects.filter(id=order.complaint_id).update(status=Complaint.Status.REPLIED)
    services.work_order_transition(
        work_order_id=order.id, action="callback", actor=None, by_platform=True, callback_result="satisfied"
    )
    assert not PlatformMessage.objects.exists()


def test_a_refused_step_queues_nothing(order, leader, fake_hotline):
    with pytest.raises(InvalidTransition):
        _step(order, "answer", leader, note="x")  # not signed yet
    assert not PlatformMessage.objects.exists()


def test_a_platform_error_is_retried_later_and_nothing_is_lost(order, leader, fake_hotline):
    fake_hotline.replies = [Reply(status=503)]
    _step(order, "sign", leader)
    platform_send_pending(platform=HOTLINE_OUTBOX)
    message = PlatformMessage.objects.get()
    assert message.status == Status.QUEUED and message.attempts == 1 and message.last_status_code == 503
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        platform_send_pending(platform=HOTLINE_OUTBOX)
    assert PlatformMessage.objects.get().status in (Status.SENT, Status.ACKNOWLEDGED)
    assert [item["payload"]["action"] for item in fake_hotline.accepted] == ["sign"]


def test_a_time_out_is_retried_and_the_next_step_waits_for_it(order, leader, fake_hotline):
    fake_hotline.replies = [Reply(hang=True)]
    _step(order, "sign", leader)
    _step(order, "answer", leader, note="已办结")
    platform_send_pending(platform=HOTLINE_OUTBOX)
    first, second = PlatformMessage.objects.order_by("sequence")
    assert first.status == Status.QUEUED and first.attempts == 1
    assert second.status == Status.QUEUED and second.attempts == 0  # held back behind the first
    fake_hotline.release.set()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        platform_send_pending(platform=HOTLINE_OUTBOX)
    assert fake_hotline.by_stream() == {"GD-77": [1, 2]}


def test_a_wrong_secret_fails_the_message_for_a_person_to_retry(order, leader, fake_hotline, settings):
    settings.PLATFORM_ENDPOINTS = {
        **settings.PLATFORM_ENDPOINTS,
        HOTLINE_OUTBOX: {"url": fake_hotline.url, "secret": "not-the-hotlines-secret"},
    }
    _step(order, "sign", leader)
    platform_send_pending(platform=HOTLINE_OUTBOX)
    assert fake_hotline.bad_signatures == 1
    assert PlatformMessage.objects.get().status == Status.FAILED
    assert not fake_hotline.accepted
