"""Screens, admin and API: scoping, masking, notices and the receipts endpoint."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from govservice.navigation import nav_items_for
from notifications import services
from notifications.models import Notice, SmsMessage, SmsTemplate
from tests.factories.notifications import NoticeFactory, SmsMessageFactory, SmsTemplateFactory

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status
PHONE = "13912345678"


# --- The outbox list -----------------------------------------------------------------------------------


def test_a_leader_sees_the_failed_messages_of_their_centre_only(as_user, leader, centre, other_centre):
    mine = SmsMessageFactory(centre=centre, phone=PHONE, status=Status.FAILED, last_error="gateway HTTP 400")
    SmsMessageFactory(centre=centre, status=Status.SENT, key="sent:1")
    SmsMessageFactory(centre=other_centre, status=Status.FAILED, key="foreign:1")
    response = as_user(leader).get(reverse("notifications:sms-list"), {"status": "failed"})
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.key in body
    assert "sent:1" not in body
    assert "foreign:1" not in body
    assert PHONE not in body and "139****5678" in body
    assert response.context["counts"].failed == 1


def test_the_outbox_list_runs_a_fixed_number_of_queries(as_user, leader, centre, django_assert_num_queries):
    SmsMessageFactory.create_batch(3, centre=centre)
    client = as_user(leader)
    client.get(reverse("notifications:sms-list"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:sms-list"))
    # The side navigation holds every app's queries: bound the page, not the exact total.
    assert len(few.captured_queries) <= 40
    SmsMessageFactory.create_batch(20, centre=centre)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:sms-list"))


def test_window_staff_do_not_see_the_outbox(as_user, window_staff, centre):
    message = SmsMessageFactory(centre=centre)
    client = as_user(window_staff)
    assert client.get(reverse("notifications:sms-list")).status_code == 404
    assert client.get(reverse("notifications:sms-detail", args=[message.id])).status_code == 404


def test_another_centres_message_looks_like_it_does_not_exist(as_user, other_leader, centre):
    message = SmsMessageFactory(centre=centre)
    assert as_user(other_leader).get(reverse("notifications:sms-detail", args=[message.id])).status_code == 404


def test_a_city_leader_sees_every_centre(as_user, city_leader, centre, other_centre):
    SmsMessageFactory(centre=centre, key="a:1")
    SmsMessageFactory(centre=other_centre, key="b:1")
    body = as_user(city_leader).get(reverse("notifications:sms-list")).content.decode()
    assert "a:1" in body and "b:1" in body


def test_the_message_page_shows_its_history_with_the_number_masked(as_user, leader, centre, template, daytime):
    message = services.sms_enqueue(
        key="case:1:x",
        phone=PHONE,
        template_code="correction_reminder",
        params={"tracking_no": "GS-1", "materials": "表格", "deadline": "明天"},
        centre=centre,
    )
    services.sms_claim_due()
    response = as_user(leader).get(reverse("notifications:sms-detail", args=[message.id]))
    body = response.content.decode()
    assert PHONE not in body
    assert "139****5678" in body
    assert len(response.context["events"]) == 2


def test_the_leader_nav_shows_the_failed_count(leader, centre):
    SmsMessageFactory.create_batch(2, centre=centre, status=Status.FAILED)
    item = next(i for i in nav_items_for(leader) if i.url == reverse("notifications:sms-list"))
    assert item.badge == 2
    assert all(i.url != reverse("notifications:sms-list") for i in nav_items_for_window_staff())


def nav_items_for_window_staff():
    from tests.factories.staff import window_staff

    return nav_items_for(window_staff())


def test_the_case_messages_partial_lists_messages_masked():
    messages = [SmsMessageFactory(phone=PHONE, status=Status.DELIVERED), SmsMessageFactory(status=Status.FAILED)]
    html = render_to_string("notifications/_case_messages.html", {"sms_messages": messages})
    assert PHONE not in html
    assert "139****5678" in html
    assert "已送达" in html and "发送失败" in html


# --- Admin ---------------------------------------------------------------------------------------------


def test_the_admin_outbox_never_shows_a_number_in_clear(as_user, admin, centre):
    message = SmsMessageFactory(centre=centre, phone=PHONE)
    client = as_user(admin)
    listing = client.get(reverse("admin:notifications_smsmessage_changelist"))
    detail = client.get(reverse("admin:notifications_smsmessage_change", args=[message.id]))
    assert listing.status_code == 200 and detail.status_code == 200
    for response in (listing, detail):
        body = response.content.decode()
        assert PHONE not in body
        assert "139****5678" in body
    assert client.post(reverse("admin:notifications_smsmessage_change", args=[message.id]), {}).status_code == 403


def test_saving_a_template_in_the_admin_publishes_a_new_version(as_user, admin):
    template = SmsTemplateFactory()
    client = as_user(admin)
    response = client.post(
        reverse("admin:notifications_smstemplate_change", args=[template.id]),
        {
            "name": "补正材料提醒",
            "sign_name": "高新区政务服务中心",
            "provider_template_id": "SMS_100002",
            "param_names": '["tracking_no", "materials", "deadline"]',
            "text": "办件{tracking_no}请于{deadline}前补交{materials}。",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    versions = list(SmsTemplate.objects.filter(code=template.code).values_list("version", "sign_name"))
    assert versions == [(2, "高新区政务服务中心"), (1, "市政务服务中心")]
    assert services.sms_template_current(code=template.code).version == 2


def test_the_admin_refuses_a_template_whose_parameters_are_not_a_list_of_names(as_user, admin):
    template = SmsTemplateFactory()
    response = as_user(admin).post(
        reverse("admin:notifications_smstemplate_change", args=[template.id]),
        {
            "name": "x",
            "sign_name": "x",
            "provider_template_id": "x",
            "param_names": '"tracking_no"',
            "text": "{tracking_no}",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "参数名须为英文标识符的列表" in response.content.decode()
    assert SmsTemplate.objects.filter(code=template.code).count() == 1


def test_a_template_with_a_placeholder_that_is_no_parameter_is_refused():
    from govservice.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.sms_template_publish(
            code="x", name="x", sign_name="x", provider_template_id="x", param_names=["a"], text="{a}{b}"
        )


def test_a_template_switched_off_by_a_new_version_is_not_current():
    SmsTemplateFactory(code="old")
    services.sms_template_publish(
        code="old", name="x", sign_name="x", provider_template_id="x", param_names=[], text="x", is_active=False
    )
    assert services.sms_template_current(code="old") is None


# --- Receipts API ----------------------------------------------------------------------------------------


def test_the_gateway_posts_delivery_receipts(client, settings):
    settings.SMS_RECEIPT_TOKEN = "receipt-secret"
    message = SmsMessageFactory(status=Status.SENT, provider_message_id="gw-9")
    url = reverse("api:notifications-sms-receipts")
    payload = [{"provider_message_id": "gw-9", "delivered": True, "code": "DELIVRD"}]
    response = client.post(url, payload, content_type="application/json", HTTP_AUTHORIZATION="Bearer receipt-secret")
    assert response.status_code == 200
    assert response.json() == {"updated": 1, "unchanged": 0, "unknown": 0}
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


@pytest.mark.parametrize("token, header", [("receipt-secret", "Bearer wrong"), ("", "Bearer "), ("x", "")])
def test_receipts_without_the_right_token_are_refused(client, settings, token, header):
    settings.SMS_RECEIPT_TOKEN = token
    message = SmsMessageFactory(status=Status.SENT, provider_message_id="gw-9")
    response = client.post(
        reverse("api:notifications-sms-receipts"),
        [{"provider_message_id": "gw-9", "delivered": True}],
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_permitted"
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_malformed_receipts_get_the_one_error_shape(client, settings):
    settings.SMS_RECEIPT_TOKEN = "receipt-secret"
    response = client.post(
        reverse("api:notifications-sms-receipts"),
        [{"delivered": "perhaps"}],
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer receipt-secret",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- Notices ---------------------------------------------------------------------------------------------


def test_notice_send_tells_once_per_key(window_staff):
    first = services.notice_send(recipient=window_staff, key="case:1:stalled", text="办件停滞")
    second = services.notice_send(recipient=window_staff, key="case:1:stalled", text="办件停滞")
    assert first.id == second.id
    assert Notice.objects.count() == 1


def test_my_notices_shows_the_unread_count_in_the_nav_and_opening_one_marks_it_read(as_user, window_staff):
    notice = services.notice_send(recipient=window_staff, key="k1", text="请跟进办件", url="/cases/")
    services.notice_send(recipient=window_staff, key="k2", text="另一条")
    NoticeFactory(key="someone-else")  # another person's notice does not count
    client = as_user(window_staff)
    response = client.get(reverse("notifications:notice-list"))
    assert response.status_code == 200
    assert "请跟进办件" in response.content.decode()
    item = next(i for i in response.context["nav_items"] if i.url == reverse("notifications:notice-list"))
    assert item.badge == 2

    opened = client.post(reverse("notifications:notice-open", args=[notice.id]))
    assert opened.status_code == 302 and opened["Location"] == "/cases/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    item = next(i for i in nav_items_for(window_staff) if i.url == reverse("notifications:notice-list"))
    assert item.badge == 1

    client.post(reverse("notifications:notice-read-all"))
    item = next(i for i in nav_items_for(window_staff) if i.url == reverse("notifications:notice-list"))
    assert item.badge is None


def test_nobody_opens_another_persons_notice(as_user, window_staff, other_window_staff):
    notice = services.notice_send(recipient=other_window_staff, key="k", text="x")
    assert as_user(window_staff).post(reverse("notifications:notice-open", args=[notice.id])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_notice_link_never_leads_off_site(as_user, window_staff):
    notice = services.notice_send(recipient=window_staff, key="k", text="x", url="https://evil.example/")
    response = as_user(window_staff).post(reverse("notifications:notice-open", args=[notice.id]))
    assert response["Location"] == reverse("notifications:notice-list")


def test_notice_text_is_scrubbed_of_phone_numbers(window_staff):
    notice = services.notice_send(recipient=window_staff, key="k", text=f"请联系申请人 {PHONE}")
    assert PHONE not in notice.text


# --- Beat ------------------------------------------------------------------------------------------------


def test_the_beat_schedule_dispatches_every_minute_and_reaps():
    tasks = {entry["task"]: entry for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["notifications.tasks.sms_dispatch_task"]["schedule"] == 60
    assert "notifications.tasks.sms_reap_task" in tasks


# --- Sending a failed message again --------------------------------------------------------------------


def test_a_leader_sends_a_failed_message_of_their_centre_again_and_it_goes_out(
    as_user, leader, centre, template, daytime, django_capture_on_commit_callbacks
):
    from notifications import tasks
    from notifications.backends import locmem
    from notifications.models import SmsEvent

    message = SmsMessageFactory(centre=centre, status=Status.FAILED, attempts=3, last_error="gateway HTTP 503")
    client = as_user(leader)
    response = client.post(reverse("notifications:sms-requeue", args=[message.id]))
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.QUEUED, 0, "")
    event = message.events.get(kind=SmsEvent.Kind.REQUEUED)
    assert event.actor == leader and (event.old_status, event.new_status) == ("failed", "queued")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sms_dispatch_task.delay()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(locmem.outbox) == 1
    # Sending it "again" once more is refused: it is no longer failed.
    client.post(reverse("notifications:sms-requeue", args=[message.id]))
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.events.filter(kind=SmsEvent.Kind.REQUEUED).count() == 1


def test_nobody_outside_the_centre_or_below_leader_sends_a_message_again(as_user, window_staff, other_leader, centre):
    message = SmsMessageFactory(centre=centre, status=Status.FAILED)
    assert as_user(window_staff).post(reverse("notifications:sms-requeue", args=[message.id])).status_code == 404
    assert as_user(other_leader).post(reverse("notifications:sms-requeue", args=[message.id])).status_code == 404
    message.refresh_from_db()
    assert message.status == Status.FAILED
