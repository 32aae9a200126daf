"""The reconciliation page: per platform and day sent / acknowledged / failed for the user's centres, the failed
messages, and a retry that takes a confirmation; the admin's list is scoped per centre."""

from __future__ import annotations

import pytest
from django.utils import timezone

from intake.models import PlatformMessage, PlatformReconciliation
from intake.platforms.outbox import platform_message_enqueue

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_urls")]
Status = PlatformMessage.Status
URL = "/intake/platforms/"


def message(centre, status: str, n: int = 1, **fields) -> PlatformMessage:
    msg = platform_message_enqueue(platform="fake", centre=centre, stream_key=f"S-{n}", kind="signed", payload={})
    now = timezone.now()
    by_status: dict[str, dict[str, object]] = {
        Status.SENT: {"sent_at": now},
        Status.ACKNOWLEDGED: {"sent_at": now, "acknowledged_at": now},
        Status.FAILED: {"failed_at": now, "last_error": "平台返回错误", "last_status_code": 401},
    }
    stamps = by_status.get(status, {})
    PlatformMessage.objects.filter(pk=msg.pk).update(status=status, **stamps, **fields)
    return PlatformMessage.objects.get(pk=msg.pk)


def test_window_staff_cannot_open_the_page(as_user, window_staff):
    assert as_user(window_staff).get(URL).status_code == 403


def test_a_leader_sees_the_days_counts_of_their_own_centre_only(
    as_user, leader, centre, other_centre, fake_adapter, django_assert_max_num_queries
):
    message(centre, Status.SENT, 1)
    message(centre, Status.ACKNOWLEDGED, 2)
    message(centre, Status.FAILED, 3)
    message(other_centre, Status.FAILED, 4)
    message(other_centre, Status.SENT, 5)
    client = as_user(leader)
    with django_assert_max_num_queries(20):
        response = client.get(URL)
    assert response.status_code == 200
    [day] = response.context["days"]
    assert (day.platform, day.sent, day.acknowledged, day.failed) == ("fake", 2, 1, 1)
    assert [row["message"].stream_key for row in response.context["failed"]] == ["S-3"]


def test_a_city_leader_sees_every_centre_and_the_platform_comparison(
    as_user, city_leader, centre, other_centre, fake_adapter
):
    message(centre, Status.FAILED, 1)
    message(other_centre, Status.FAILED, 2)
    PlatformReconciliation.objects.create(
        platform="province", day=timezone.localdate(), sent_count=3, platform_count=2, matches=False
    )
    response = as_user(city_leader).get(URL)
    assert len(response.context["failed"]) == 2
    assert 'data-testid="platform-reconciliation"' in response.content.decode()
    [row] = response.context["extra"][0]["rows"]
    assert (row.sent_count, row.platform_count, row.matches) == (3, 2, False)


def test_a_centre_leader_does_not_see_the_deployment_wide_comparison(as_user, leader):
    PlatformReconciliation.objects.create(platform="province", day=timezone.localdate(), sent_count=1)
    assert as_user(leader).get(URL).context["extra"] == []


def test_the_failed_list_filters_by_platform_and_day(as_user, leader, centre, fake_adapter):
    message(centre, Status.FAILED, 1)
    client = as_user(leader)
    today = timezone.localdate().isoformat()
    assert len(client.get(URL, {"platform": "fake", "day": today}).context["failed"]) == 1
    assert len(client.get(URL, {"platform": "fake", "day": "2020-01-01"}).context["failed"]) == 0


def test_a_retry_asks_first_and_only_a_confirmed_post_retries(as_user, leader, centre, fake_adapter):
    failed = message(centre, Status.FAILED, 1)
    client = as_user(leader)
    retry_url = f"/intake/platforms/messages/{failed.message_id}/retry/"
    page = client.get(retry_url)
    assert page.status_code == 200 and 'name="confirm" value="yes"' in page.content.decode()
    assert PlatformMessage.objects.get(pk=failed.pk).status == Status.FAILED
    client.post(retry_url, {})  # no confirmation: shows the question again, changes nothing
    assert PlatformMessage.objects.get(pk=failed.pk).status == Status.FAILED
    response = client.post(retry_url, {"confirm": "yes"})
    assert response.status_code == 302
    retried = PlatformMessage.objects.get(pk=failed.pk)
    assert retried.status == Status.QUEUED and retried.retried_by == leader


def test_another_centres_message_cannot_be_retried_and_looks_not_found(as_user, other_leader, centre, fake_adapter):
    failed = message(centre, Status.FAILED, 1)
    response = as_user(other_leader).post(f"/intake/platforms/messages/{failed.message_id}/retry/", {"confirm": "yes"})
    assert response.status_code == 404
    assert PlatformMessage.objects.get(pk=failed.pk).status == Status.FAILED


def test_retrying_a_message_that_is_not_failed_says_so(as_user, leader, centre, fake_adapter):
    sent = message(centre, Status.SENT, 1)
    response = as_user(leader).post(
        f"/intake/platforms/messages/{sent.message_id}/retry/", {"confirm": "yes"}, follow=True
    )
    assert PlatformMessage.objects.get(pk=sent.pk).status == Status.SENT
    assert any(m.level_tag == "error" for m in response.context["messages"])


def test_the_admin_lists_a_centres_messages_only_with_the_payload_masked(
    as_user, centre_admin, centre, other_centre, fake_adapter
):
    centre_admin.is_staff = True
    centre_admin.save()
    mine = platform_message_enqueue(
        platform="fake", centre=centre, stream_key="A", kind="k", payload={"phone": "13812345678"}
    )
    theirs = platform_message_enqueue(platform="fake", centre=other_centre, stream_key="B", kind="k", payload={})
    client = as_user(centre_admin)
    listing = client.get("/admin/intake/platformmessage/")
    assert listing.status_code == 200
    shown = {m.pk for m in listing.context["cl"].result_list}
    assert shown == {mine.pk}
    assert client.get(f"/admin/intake/platformmessage/{theirs.pk}/change/").status_code in (302, 404)
    page = client.get(f"/admin/intake/platformmessage/{mine.pk}/change/").content.decode()
    assert "13812345678" not in page and "138" in page


def test_messages_waiting_for_an_unconfigured_platform_are_shown_with_the_reason(
    as_user, leader, centre, other_centre, fake_adapter, settings
):
    settings.PLATFORM_ENDPOINTS = {k: v for k, v in settings.PLATFORM_ENDPOINTS.items() if k != "fake"}
    first = message(centre, Status.QUEUED, 1)
    message(centre, Status.QUEUED, 2)
    message(centre, Status.SENT, 3)
    message(other_centre, Status.QUEUED, 4)
    response = as_user(leader).get(URL)
    [waiting] = response.context["waiting"]
    assert (waiting.platform, waiting.count, waiting.oldest, waiting.configured) == ("fake", 2, first.created_at, False)
    assert "本系统未配置该平台的地址或密钥" in response.content.decode()

    settings.PLATFORM_ENDPOINTS = {**settings.PLATFORM_ENDPOINTS, "fake": {"url": "https://x.test/", "secret": "s"}}
    [waiting] = as_user(leader).get(URL).context["waiting"]
    assert waiting.configured is True
