"""The queue devices' admin: a centre administrator issues keys for their own centre and sees only its devices."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from intake.models import QueueDevice, QueueSettings
from intake.queue.auth import queue_device_lookup
from tests.conftest import login
from tests.factories.intake import queue_device

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_urls")]


def test_a_centre_administrator_issues_a_device_key_shown_once_and_stored_hashed(client, centre, centre_admin):
    login(client, centre_admin)
    response = client.post("/admin/intake/queuedevice/add/", {"centre": centre.pk, "name": "二楼叫号机"})
    assert response.status_code == 200
    raw = response.context["raw_key"]
    device = QueueDevice.objects.get()
    assert (device.centre, device.name) == (centre, "二楼叫号机")
    assert raw not in device.key_hash and queue_device_lookup(raw) == device
    assert "no-store" in response["Cache-Control"]


def test_another_centres_devices_are_neither_listed_nor_found(client, centre, other_centre, centre_admin):
    own, _raw = queue_device(centre, name="本中心叫号机")
    foreign, _raw = queue_device(other_centre, name="高新区叫号机")
    login(client, centre_admin)
    listing = client.get("/admin/intake/queuedevice/")
    assert "本中心叫号机" in listing.content.decode() and "高新区叫号机" not in listing.content.decode()
    assert client.get(f"/admin/intake/queuedevice/{foreign.pk}/change/").status_code == 404
    assert client.get(f"/admin/intake/queuedevice/{own.pk}/change/").status_code == 200


def test_a_centre_administrator_cannot_issue_a_key_for_another_centre(client, centre, other_centre, centre_admin):
    login(client, centre_admin)
    client.post("/admin/intake/queuedevice/add/", {"centre": other_centre.pk, "name": "越权"})
    assert not QueueDevice.objects.filter(centre=other_centre).exists()


def test_revoking_in_the_admin_refuses_the_key(client, centre, centre_admin):
    device, raw = queue_device(centre)
    login(client, centre_admin)
    client.post(
        "/admin/intake/queuedevice/", {"action": "revoke", "_selected_action": [device.pk], "index": 0}, follow=True
    )
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert LogEntry.objects.filter(user=centre_admin, object_id=str(device.pk)).exists()


def test_the_waiting_threshold_is_set_per_centre_and_records_who(client, centre, centre_admin):
    login(client, centre_admin)
    client.post("/admin/intake/queuesettings/add/", {"centre": centre.pk, "wait_alert_minutes": 20})
    row = QueueSettings.objects.get()
    assert (row.centre, row.wait_alert_minutes, row.updated_by) == (centre, 20, centre_admin)
