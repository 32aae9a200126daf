"""The staff API: the outbox (scoped, masked) and one's own notices."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notifications import services
from notifications.models import SmsMessage
from tests.factories.notifications import SmsMessageFactory

pytestmark = pytest.mark.django_db

Status = SmsMessage.Status
PHONE = "13912345678"


def test_the_outbox_api_lists_the_centres_messages_masked_and_filtered(as_user, leader, centre, other_centre):
    SmsMessageFactory(centre=centre, phone=PHONE, status=Status.FAILED, key="mine:failed")
    SmsMessageFactory(centre=centre, status=Status.SENT, key="mine:sent")
    SmsMessageFactory(centre=other_centre, status=Status.FAILED, key="foreign:failed")
    response = as_user(leader).get(reverse("api:notifications-sms-list"), {"status": "failed"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["key"] for row in results] == ["mine:failed"]
    assert results[0]["phone"] == "139****5678"
    assert PHONE not in response.content.decode()


def test_the_outbox_api_refuses_window_staff_and_bad_filters(as_user, window_staff, leader):
    assert as_user(window_staff).get(reverse("api:notifications-sms-list")).status_code == 403
    response = as_user(leader).get(reverse("api:notifications-sms-list"), {"status": "lost"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_outbox_api_needs_a_login(client):
    assert client.get(reverse("api:notifications-sms-list")).status_code in {401, 403}


def test_the_notice_api_lists_only_ones_own_and_marks_read(as_user, window_staff, other_window_staff):
    mine = services.notice_send(recipient=window_staff, key="a", text="给我的")
    services.notice_send(recipient=window_staff, key="b", text="也给我的")
    theirs = services.notice_send(recipient=other_window_staff, key="a", text="给别人的")
    client = as_user(window_staff)
    listed = client.get(reverse("api:notifications-notice-list"), {"unread": "true"}).json()
    assert sorted(row["text"] for row in listed["results"]) == ["也给我的", "给我的"]

    assert client.post(reverse("api:notifications-notice-read", args=[mine.id])).status_code == 204
    assert client.post(reverse("api:notifications-notice-read", args=[mine.id])).status_code == 204
    assert client.post(reverse("api:notifications-notice-read", args=[theirs.id])).status_code == 404
    listed = client.get(reverse("api:notifications-notice-list"), {"unread": "true"}).json()
    assert [row["text"] for row in listed["results"]] == ["也给我的"]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_schema_documents_the_notifications_endpoints(as_user, leader):
    schema = as_user(leader).get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    for path in ["/api/v1/notifications/sms/", "/api/v1/notifications/sms/receipts/", "/api/v1/notifications/notices/"]:
        assert path in schema["paths"]
