"""The provincial 好差评 platform: each rating and each bad-review step is queued in the writing transaction and
pushed in batches in the documented format; the platform's own ratings are not pushed back; a daily
reconciliation compares counts and records acknowledgements."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from complaints import services
from complaints.models import Channel, EvaluationTag
from intake.models import PlatformMessage, PlatformReconciliation
from intake.platforms.outbox import platform_send_pending
from intake.platforms.reconcile import platform_reconcile_day
from intake.tasks import province_reconcile
from tests.factories.complaints import ChannelFactory

from .fake_platform import Reply

pytestmark = pytest.mark.django_db
Status = PlatformMessage.Status


@pytest.fixture
def qr(centre) -> Channel:
    return ChannelFactory.create(code="qr", kind=Channel.Kind.QR_CODE, centres=[centre])


@pytest.fixture
def app_channel(centre) -> Channel:
    return ChannelFactory.create(code="province-app", kind=Channel.Kind.MOBILE_APP, centres=[centre])


def rate(centre, channel, staff, level=5, **kwargs):
    return services.evaluation_submit(centre=centre, channel=channel, level=level, staff=staff, **kwargs)


def sent_items(province) -> list[dict]:
    return [item for r in province.requests for item in json.loads(r["body"])["items"]]


def test_a_rating_is_queued_with_the_gbt_39734_items_and_pushed(centre, qr, window_staff, province):
    window_staff.staff_no = "A017"
    window_staff.save()
    EvaluationTag.objects.create(code="fast", label="办事快", levels=[4, 5])
    evaluation = rate(centre, qr, window_staff, level=5, tags=["fast"], text="很好，电话13812345678")
    [message] = PlatformMessage.objects.filter(platform="province")
    assert message.stream_key == str(evaluation.public_id) and message.kind == "evaluation"
    platform_send_pending(platform="province")
    [item] = sent_items(province)
    payload = item["payload"]
    assert payload["evaluated_object"] == {
        "centre_code": centre.code,
        "centre_name": centre.name,
        "window_code": window_staff.window.code,
        "window_name": window_staff.window.name,
        "staff_no": "A017",
    }
    assert payload["channel"] == {"code": "qr", "kind": "qr_code"}
    assert (payload["level"], payload["level_name"], payload["is_bad"]) == (5, "非常满意", False)
    assert payload["tags"] == [{"code": "fast", "name": "办事快"}]
    assert payload["rated_at"] == timezone.localtime(evaluation.rated_at).isoformat()
    assert "13812345678" not in json.dumps(payload, ensure_ascii=False)
    assert "evaluator_phone" not in payload and "evaluator_name" not in payload
    body = json.loads(province.requests[0]["body"])
    assert body["version"] == "1" and body["count"] == 1 and body["sender"]


def test_a_rating_that_is_rolled_back_queues_nothing(centre, qr, window_staff, province):
    with pytest.raises(RuntimeError), transaction.atomic():
        rate(centre, qr, window_staff)
        raise RuntimeError
    assert not PlatformMessage.objects.exists()


def test_a_rating_made_on_the_provincial_app_is_not_pushed_back(centre, app_channel, window_staff, province):
    rate(centre, app_channel, window_staff, level=4, external_id="P-1")
    assert not PlatformMessage.objects.exists()


def test_a_channel_named_in_the_settings_counts_as_the_platform(centre, window_staff, province, settings):
    settings.PROVINCE_PLATFORM_SOURCE_CHANNELS = ["province-hcp"]
    channel = ChannelFactory(code="province-hcp", kind=Channel.Kind.THIRD_PARTY, centres=[centre])
    rate(centre, channel, window_staff, level=4)
    assert not PlatformMessage.objects.exists()


def test_nothing_is_queued_while_pushing_is_off(centre, qr, window_staff, settings):
    settings.PROVINCE_PLATFORM_PUSH = False
    rate(centre, qr, window_staff)
    assert not PlatformMessage.objects.exists()


def test_each_disposition_step_follows_its_rating_in_order(centre, qr, window_staff, centre_admin, province):
    evaluation = rate(centre, qr, window_staff, level=1)
    bad_review = evaluation.bad_review
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin, note="电话联系")
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="true", note="属实", actor=centre_admin)
    services.bad_review_rectify(bad_review_id=bad_review.id, rectification="约谈并培训", actor=centre_admin)
    services.bad_review_callback(bad_review_id=bad_review.id, satisfied=True, note="满意", actor=centre_admin)
    follow_up = services.evaluation_follow_up(evaluation=evaluation, level=4, text="改进了")
    kinds = list(
        PlatformMessage.objects.filter(stream_key=str(evaluation.public_id))
        .order_by("sequence")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "evaluation",
        "disposition:contacted",
        "disposition:verified",
        "disposition:rectified",
        "disposition:called_back",
        "follow_up",
    ]
    platform_send_pending(platform="province")
    items = sent_items(province)
    assert [i["sequence"] for i in items] == [1, 2, 3, 4, 5, 6]  # one per request: a stream never twice
    verified, rectified, called_back = (items[2]["payload"], items[3]["payload"], items[4]["payload"])
    assert verified["verdict"] == "true" and verified["contacted_at"] and verified["rectify_due"]
    assert rectified["rectification"] == "约谈并培训" and rectified["rectified_at"]
    assert called_back["callback_satisfied"] is True and called_back["closed_at"] and called_back["status"] == "closed"
    assert items[5]["payload"]["follow_up_of"] == str(evaluation.public_id)
    assert items[5]["payload"]["evaluation_id"] == str(follow_up.public_id)


def test_the_appeal_result_is_pushed(centre, qr, window_staff, centre_admin, leader, province):
    bad_review = rate(centre, qr, window_staff, level=2).bad_review
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="malicious", note="恶意", actor=centre_admin)
    services.bad_review_decide_appeal(bad_review_id=bad_review.id, upheld=True, decision="申诉成立", actor=leader)
    last = PlatformMessage.objects.filter(platform="province").order_by("-sequence").first()
    assert last is not None and last.kind == "disposition:appeal_decided"
    assert last.payload["appeal_upheld"] is True and last.payload["appeal_decision"] == "申诉成立"
    assert last.payload["status"] == "excluded"


def test_the_disposition_of_a_platform_rating_is_pushed_with_the_platforms_record_number(
    centre, app_channel, window_staff, centre_admin, province
):
    bad_review = rate(centre, app_channel, window_staff, level=1, external_id="P-77").bad_review
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    [message] = PlatformMessage.objects.filter(platform="province")
    assert message.kind == "disposition:contacted" and message.payload["platform_record_id"] == "P-77"


def test_ratings_of_many_evaluations_go_in_one_batch(centre, qr, window_staff, province):
    for _ in range(5):
        rate(centre, qr, window_staff, level=4)
    platform_send_pending(platform="province")
    assert len(province.requests) == 1 and len(sent_items(province)) == 5


def test_a_province_outage_loses_nothing(centre, qr, window_staff, province):
    province.default = Reply(503)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            rate(centre, qr, window_staff, level=3)
            platform_send_pending(platform="province")
            clock.shift(timedelta(hours=8))
        province.default = Reply(200)
        clock.shift(timedelta(hours=1))
        platform_send_pending(platform="province")
    assert len(province.accepted) == 3 and province.duplicates == []


def test_the_daily_reconciliation_compares_counts_and_records_acknowledgements(
    centre, qr, window_staff, province, monkeypatch
):
    rate(centre, qr, window_staff, level=5)
    rate(centre, qr, window_staff, level=4)
    platform_send_pending(platform="province")
    first, second = PlatformMessage.objects.order_by("id")
    today = timezone.localdate()
    province.replies = [
        Reply(
            200,
            {
                "date": today.isoformat(),
                "received": 2,
                "acknowledged": [
                    {"message_id": str(first.message_id), "reference": "HCP-1"},
                    {"message_id": str(uuid.uuid4()), "reference": "HCP-X"},  # not ours: logged, ignored
                ],
            },
        )
    ]
    row = platform_reconcile_day(platform="province", day=today, url=province.url)
    assert (row.sent_count, row.platform_count, row.matches, row.acknowledged_count) == (2, 2, True, 1)
    assert PlatformMessage.objects.get(pk=first.pk).ack_reference == "HCP-1"
    assert PlatformMessage.objects.get(pk=second.pk).status == Status.SENT
    # The request itself was signed: the fake platform checked it.
    assert province.bad_signatures == 0


def test_a_mismatch_and_an_unreadable_answer_are_recorded(centre, qr, window_staff, province):
    rate(centre, qr, window_staff)
    platform_send_pending(platform="province")
    today = timezone.localdate()
    province.replies = [Reply(200, {"date": today.isoformat(), "received": 0})]
    row = platform_reconcile_day(platform="province", day=today, url=province.url)
    assert row.platform_count == 0 and not row.matches
    province.replies = [Reply(500)]
    row = platform_reconcile_day(platform="province", day=today, url=province.url)
    assert row.platform_count is None and row.error == "HTTP 500" and not row.matches
    assert PlatformReconciliation.objects.count() == 1  # one row per platform and day, replaced


def test_the_beat_task_reconciles_yesterday(province):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    province.replies = [Reply(200, {"date": yesterday, "received": 0})]
    assert province_reconcile() is True
    row = PlatformReconciliation.objects.get()
    assert row.day.isoformat() == yesterday and row.matches
