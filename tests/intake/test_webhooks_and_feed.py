"""Status changes reach channels: signed webhooks with retries, the pull feed, the public look-up."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from complaints import signals
from complaints.models import Complaint
from complaints.services import complaint_reply
from govservice.outbound import OutboundError
from intake import services
from intake.models import FeedEntry, WebhookDelivery
from intake.tasks import webhook_deliver_due
from tests.factories.intake import subscription

pytestmark = pytest.mark.django_db

COMPLAINTS = "/api/v1/intake/complaints/"


def record_changed(obj: Complaint) -> None:
    """What complaints' services do after a commit: send the change signal (intake listens)."""
    signals.record_changed.send(sender=type(obj), instance=obj)


class FakeEndpoint:
    """Stands in for the partner's server: answers with the queued status codes."""

    def __init__(self, *codes: int | Exception) -> None:
        self.codes = list(codes)
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.calls.append((url, body, headers))
        code = self.codes.pop(0) if self.codes else 200
        if isinstance(code, Exception):
            raise code
        return code


@pytest.fixture
def endpoint(monkeypatch):
    fake = FakeEndpoint()
    monkeypatch.setattr(services, "http_post", fake)
    return fake


@pytest.fixture
def submitted(api, django_capture_on_commit_callbacks) -> Complaint:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(COMPLAINTS, {"content": "态度不好", "external_id": "H-77"})
    assert response.status_code == 201
    return Complaint.objects.get(tracking_no=response.json()["tracking_no"])


def test_a_new_complaint_is_in_the_feed_and_signed_on_the_webhook(
    channel, endpoint, api, django_capture_on_commit_callbacks
):
    sub = subscription(channel)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(COMPLAINTS, {"content": "态度不好", "external_id": "H-1"})
    assert len(endpoint.calls) == 1
    url, body, headers = endpoint.calls[0]
    assert url == sub.url
    payload = json.loads(body)
    assert payload["external_id"] == "H-1"
    assert payload["status"] == "received"
    assert "态度" not in body.decode()  # no citizen text leaves through webhooks
    timestamp, signature = (part.split("=", 1)[1] for part in headers["X-Govservice-Signature"].split(","))
    expected = hmac.new(b"s3cret-for-tests", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 1


def test_a_status_change_by_staff_reaches_the_channel(submitted, leader, endpoint, django_capture_on_commit_callbacks):
    subscription(submitted.channel)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_reply(complaint_id=submitted.id, reply="已核实并整改", actor=leader)
    statuses = list(FeedEntry.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["received", "replied"]
    assert json.loads(endpoint.calls[-1][1])["status"] == "replied"


def test_a_status_change_reaches_the_feed_through_the_signal_after_commit_only(
    submitted, leader, django_capture_on_commit_callbacks
):
    received = []

    def spy(sender, instance, **kwargs):
        received.append(instance.status)

    signals.record_changed.connect(spy)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            complaint_reply(complaint_id=submitted.id, reply="已核实并整改", actor=leader)
        # Before the commit: the signal is not sent and the feed has only the receipt.
        assert received == []
        assert list(FeedEntry.objects.values_list("status", flat=True)) == ["received"]
        for callback in callbacks:
            callback()
    finally:
        signals.record_changed.disconnect(spy)
    assert received == ["replied"]
    assert list(FeedEntry.objects.order_by("id").values_list("status", flat=True)) == ["received", "replied"]


def test_a_failing_feed_never_reaches_the_caller(submitted, leader, monkeypatch, django_capture_on_commit_callbacks):
    def broken(**kwargs):
        raise RuntimeError("feed down")

    monkeypatch.setattr(services, "feed_record", broken)
    with django_capture_on_commit_callbacks(execute=True):
        complaint_reply(complaint_id=submitted.id, reply="已核实并整改", actor=leader)
    assert Complaint.objects.get(pk=submitted.pk).status == Complaint.Status.REPLIED


def test_a_failed_delivery_is_retried_with_backoff_until_it_lands(
    channel, submitted, endpoint, monkeypatch, django_capture_on_commit_callbacks
):
    subscription(channel)
    endpoint.codes = [500, OutboundError(OutboundError.UNREACHABLE, "ConnectionRefusedError"), 200]
    countdowns: list[int] = []
    from intake import tasks

    original = tasks.webhook_deliver.apply_async

    def record_countdown(args=None, kwargs=None, countdown=0, **options):
        if countdown:
            countdowns.append(countdown)
        # Eager mode ignores countdowns; make the next try due now so it runs.
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        return original(args, kwargs, **options)

    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", record_countdown)
    with django_capture_on_commit_callbacks(execute=True):
        record_changed(submitted)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert len(endpoint.calls) == 3
    assert countdowns and all(0 < c <= 300 for c in countdowns)


def test_backoff_never_exceeds_five_minutes():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [15, 30, 60, 120, 240, 300, 300]


def test_a_delivery_gives_up_after_the_last_attempt(
    channel, submitted, endpoint, monkeypatch, django_capture_on_commit_callbacks
):
    subscription(channel)
    endpoint.codes = [503] * services.WEBHOOK_MAX_ATTEMPTS
    from intake import tasks

    original = tasks.webhook_deliver.apply_async

    def now_instead(args=None, kwargs=None, countdown=0, **options):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        return original(args, kwargs, **options)

    monkeypatch.setattr(tasks.webhook_deliver, "apply_async", now_instead)
    with django_capture_on_commit_callbacks(execute=True):
        record_changed(submitted)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == services.WEBHOOK_MAX_ATTEMPTS
    assert delivery.last_status_code == 503


def test_a_delivery_runs_once_even_if_queued_twice(channel, submitted, endpoint, django_capture_on_commit_callbacks):
    subscription(channel)
    endpoint.codes = [200]
    with django_capture_on_commit_callbacks(execute=True):
        record_changed(submitted)
    from intake.tasks import webhook_deliver

    webhook_deliver(WebhookDelivery.objects.get().pk)
    assert len(endpoint.calls) == 1


def test_the_sweep_requeues_due_deliveries(channel, submitted, endpoint, monkeypatch):
    subscription(channel)
    from intake import tasks

    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda pk: None)
    record_changed(submitted)  # the message is "lost"
    monkeypatch.undo()
    monkeypatch.setattr(services, "http_post", endpoint)
    assert webhook_deliver_due() == 1
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
    assert webhook_deliver_due() == 0


def test_a_channel_without_keys_or_subscriptions_gets_no_feed(centre):
    from tests.factories.complaints import ComplaintFactory

    record_changed(ComplaintFactory(centre=centre))
    assert not FeedEntry.objects.exists()


# --- pull feed ---------------------------------------------------------------------------------


def test_the_feed_lists_this_channels_changes_since_a_time(api, submitted, centre):
    from tests.factories.intake import hotline_channel, issued_key
    from tests.intake.conftest import ChannelClient

    since = (timezone.now() - timezone.timedelta(minutes=5)).isoformat()
    body = api.get("/api/v1/intake/updates/", since=since).json()
    assert [r["id"] for r in body["results"]] == [submitted.tracking_no]
    assert body["has_more"] is False
    again = api.get("/api/v1/intake/updates/", after=body["next_after"]).json()
    assert again["results"] == []
    stranger = ChannelClient(issued_key(hotline_channel(centre, code="stranger")))
    assert stranger.get("/api/v1/intake/updates/", since=since).json()["results"] == []


def test_the_feed_rejects_a_bad_since_and_unknown_parameters(api):
    assert "since" in api.get("/api/v1/intake/updates/", since="yesterday").json()["errors"]
    assert "page" in api.get("/api/v1/intake/updates/", page="2").json()["errors"]


def test_the_feed_needs_a_key(client):
    assert client.get("/api/v1/intake/updates/").status_code == 403


# --- public status look-up -----------------------------------------------------------------------


def test_a_citizen_looks_up_status_by_tracking_number_without_personal_data(client, submitted):
    Complaint.objects.filter(pk=submitted.pk).update(contact_phone="13800138000", contact_name="张三")
    response = client.get(f"/api/v1/intake/status/{submitted.tracking_no}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "received"
    assert body["expected_reply_by"]
    text = response.content.decode()
    assert "13800138000" not in text and "张三" not in text and "态度" not in text


def test_an_unknown_tracking_number_is_404_in_the_shape(client):
    response = client.get("/api/v1/intake/status/GS000/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_lookup_is_throttled_per_ip(client, submitted, rates):
    rates(lookup="2/min")
    codes = [client.get(f"/api/v1/intake/status/GS{i}/").status_code for i in range(3)]
    assert codes == [404, 404, 429]
    response = client.get(f"/api/v1/intake/status/{submitted.tracking_no}/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    other_ip = client.get(f"/api/v1/intake/status/{submitted.tracking_no}/", REMOTE_ADDR="10.0.0.9")
    assert other_ip.status_code == 200


# --- the public HTML page ----------------------------------------------------------------------


@pytest.mark.usefixtures("real_urls")
def test_the_older_status_page_redirects_permanently_to_the_complaints_one_with_its_query(client, submitted):
    response = client.get("/feedback-status/", {"no": submitted.tracking_no.lower()})
    assert response.status_code == 301
    assert response["Location"] == f"/feedback/status/?no={submitted.tracking_no.lower()}"
    page = client.get(response["Location"]).content.decode()
    assert f'value="{submitted.tracking_no.lower()}"' in page  # the number is filled in, the last four asked
    assert client.get("/feedback-status/")["Location"] == "/feedback/status/"


# --- channel self-service subscriptions --------------------------------------------------------


def test_a_channel_subscribes_gets_the_secret_once_and_sees_its_log(
    api, channel, endpoint, django_capture_on_commit_callbacks
):
    created = api.post("/api/v1/intake/webhooks/", {"url": "https://partner.example/hook"})
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    listed = api.get("/api/v1/intake/webhooks/").json()
    assert [s["url"] for s in listed] == ["https://partner.example/hook"]
    assert "secret" not in listed[0]
    with django_capture_on_commit_callbacks(execute=True):
        api.post(COMPLAINTS, {"content": "x"})
    _url, body, headers = endpoint.calls[0]
    timestamp, signature = (p.split("=", 1)[1] for p in headers["X-Govservice-Signature"].split(","))
    assert signature == hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    log = api.get("/api/v1/intake/webhooks/deliveries/").json()
    assert log[0]["status"] == "delivered"
    assert (
        api.client.delete(
            f"/api/v1/intake/webhooks/{created.json()['id']}/", HTTP_AUTHORIZATION=f"Key {api.key}"
        ).status_code
        == 204
    )
    assert api.get("/api/v1/intake/webhooks/").json()[0]["is_active"] is False


@pytest.mark.parametrize(
    "url",
    ["http://partner.example/hook", "https://127.0.0.1/hook", "https://10.1.2.3/x", "https://localhost/x", "ftp://x"],
)
def test_webhook_urls_must_be_public_https(api, url):
    response = api.post("/api/v1/intake/webhooks/", {"url": url})
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


def test_a_channel_cannot_stop_another_channels_webhook(api, centre):
    from tests.factories.intake import hotline_channel

    other = subscription(hotline_channel(centre, code="other"))
    response = api.client.delete(f"/api/v1/intake/webhooks/{other.pk}/", HTTP_AUTHORIZATION=f"Key {api.key}")
    assert response.status_code == 404


def test_a_malformed_subscription_id_is_404_in_the_shape(api):
    response = api.client.delete("/api/v1/intake/webhooks/null,null/", HTTP_AUTHORIZATION=f"Key {api.key}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_bad_review_moving_on_reaches_the_feed(api, leader, window_staff, django_capture_on_commit_callbacks):
    from complaints.models import BadReview
    from complaints.services import bad_review_contact

    window_staff.staff_no = "S1"
    window_staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/intake/evaluations/", {"level": 1, "staff_no": "S1", "external_id": "E-1"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open"
    bad_review = BadReview.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        bad_review_contact(bad_review_id=bad_review.pk, actor=leader)
    feed = api.get("/api/v1/intake/updates/").json()["results"]
    assert [(e["record_kind"], e["external_id"], e["status"]) for e in feed][-1] == ("evaluation", "E-1", "contacted")
