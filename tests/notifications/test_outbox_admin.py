"""The administrator's SMS outbox in the admin: masked text, its subject, the error in words,
resend and cancel recorded with who did them; another centre's message is not found."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from notifications.errors import explain_sms_error
from notifications.models import SmsEvent, SmsMessage
from staff.models import Role
from tests.conftest import login
from tests.factories.complaints import ComplaintFactory
from tests.factories.notifications import SmsMessageFactory, SmsTemplateFactory
from tests.factories.staff import UserFactory

CHANGELIST = "admin:notifications_smsmessage_changelist"


@pytest.fixture
def gxq_admin(other_centre):
    return UserFactory.create(centre=other_centre, username="gxq-admin", is_staff=True, roles=[Role.CENTRE_ADMIN])


@pytest.mark.django_db
def test_the_outbox_shows_the_text_masked_its_complaint_and_the_error_in_words(client, centre, centre_admin):
    SmsTemplateFactory.create(code="complaint_received", param_names=["text"], text="{text}")
    complaint = ComplaintFactory.create(centre=centre)
    message = SmsMessageFactory.create(
        centre=centre,
        key=f"complaint-received:{complaint.id}",
        template_code="complaint_received",
        params={"text": "请回电 13912345678"},
        status=SmsMessage.Status.FAILED,
        last_error="gateway refused: isv.AMOUNT_NOT_ENOUGH balance",
    )
    login(client, centre_admin)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    page = client.get(reverse("admin:notifications_smsmessage_change", args=[message.pk])).content.decode()
    assert "13912345678" not in page and "139****5678" in page
    assert complaint.get_absolute_url() in page and complaint.tracking_no in page
    assert "余额不足" in page


@pytest.mark.django_db
def test_another_centres_message_is_not_found(client, centre, gxq_admin):
    message = SmsMessageFactory.create(centre=centre)
    login(client, gxq_admin)
    assert client.get(reverse("admin:notifications_smsmessage_change", args=[message.pk])).status_code == 404
    assert list(client.get(reverse(CHANGELIST)).context["cl"].result_list) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "before", "after", "kind"),
    [
        ("requeue_failed", SmsMessage.Status.FAILED, SmsMessage.Status.QUEUED, SmsEvent.Kind.REQUEUED),
        ("cancel_queued", SmsMessage.Status.QUEUED, SmsMessage.Status.CANCELLED, SmsEvent.Kind.CANCELLED),
    ],
)
def test_resend_and_cancel_are_recorded_with_who_did_them(client, centre, centre_admin, action, before, after, kind):
    message = SmsMessageFactory.create(centre=centre, status=before)
    login(client, centre_admin)
    client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == after
    assert message.events.filter(kind=kind, actor=centre_admin).exists()
    assert LogEntry.objects.filter(object_id=str(message.pk), user=centre_admin).exists()


@pytest.mark.django_db
def test_a_message_past_cancelling_is_left_alone_and_said_so(client, centre, centre_admin):
    message = SmsMessageFactory.create(centre=centre, status=SmsMessage.Status.SENT)
    login(client, centre_admin)
    response = client.post(
        reverse(CHANGELIST), {"action": "cancel_queued", "_selected_action": [message.pk]}, follow=True
    )
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert message.key in response.content.decode()
    assert not LogEntry.objects.filter(object_id=str(message.pk)).exists()


@pytest.mark.django_db
def test_a_window_staff_member_cannot_use_the_outbox_actions(client, centre, window_staff):
    window_staff.is_staff = True
    window_staff.save()
    message = SmsMessageFactory.create(centre=centre, status=SmsMessage.Status.FAILED)
    login(client, window_staff)
    client.post(reverse(CHANGELIST), {"action": "requeue_failed", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("", ""),
        ("gateway HTTP 401", "凭据"),
        ("gateway HTTP 503 busy", "自动重试"),
        ("undelivered: UNDELIV", "未能送达"),
        ("gateway refused: isv.MOBILE_NUMBER_ILLEGAL", "手机号"),
        ("sending timed out", "超时"),
        ("something new", "未知错误"),
    ],
)
def test_the_gateways_code_is_explained_in_words(error, words):
    explained = explain_sms_error(error)
    assert (words in explained) if words else explained == ""
