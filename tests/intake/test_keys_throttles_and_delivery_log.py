"""Keys never in URLs or logs, throttles per key, and a delivery log that maps no ports (issue 14)."""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from govservice.masking import MaskingLogFilter
from govservice.redaction import redact
from intake import services
from intake.models import ChannelKey, WebhookDelivery, WebhookSubscription
from tests.factories.intake import hotline_channel, issued_key, subscription

from .conftest import ChannelClient

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
UPDATES = "/api/v1/intake/updates/"
COMPLAINTS = "/api/v1/intake/complaints/"


@pytest.fixture
def json_log():
    """The production log pipeline (MaskingLogFilter + the JSON formatter) on the root logger, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(MaskingLogFilter())
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def _secret(raw_key: str) -> str:
    return raw_key.split("_", 2)[2]


# --- keys never in URLs ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_open311_key_in_the_query_string_is_refused_with_a_clear_error(client, raw_key, fmt):
    response = client.get(f"{BASE}requests.{fmt}", {"api_key": raw_key}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Authorization" in text
    assert raw_key not in text


def test_an_open311_post_with_the_key_in_the_query_string_is_refused(client, raw_key):
    response = client.post(
        f"{BASE}requests.json?api_key={raw_key}",
        "service_code=complaint&address_string=x&description=y",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_a_key_shaped_value_under_any_name_is_refused_on_the_channel_api(raw_key):
    response = Client().get(UPDATES, {"since": raw_key}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "key_in_url"


def test_the_open311_post_body_still_carries_the_key_as_the_spec_says(client, raw_key):
    body = f"api_key={raw_key}&service_code=complaint&address_string=x&description=%E6%80%81%E5%BA%A6"
    response = client.post(f"{BASE}requests.json", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content


def test_a_key_in_the_query_string_never_reaches_the_json_log(json_log, raw_key):
    Client().get(UPDATES, {"api_key": raw_key})  # the refusal is logged by django.request as a 4xx warning
    Client().get(f"{BASE}requests.json", {"api_key": raw_key})
    logging.getLogger("django.server").info('"GET /open311/v2/requests.json?api_key=%s HTTP/1.1" 400 10', raw_key)
    written = json_log.getvalue()
    assert "/api/v1/intake/updates/" in written  # the lines were written ...
    assert _secret(raw_key) not in written  # ... without the key
    assert "api_key=" not in written  # API paths lose their query string


def test_a_rejected_key_in_the_header_is_not_logged_either(json_log, raw_key):
    Client().get(UPDATES, HTTP_AUTHORIZATION=f"Key {raw_key}x")
    logging.getLogger("intake").warning("refused Authorization: Key %s", raw_key)
    assert _secret(raw_key) not in json_log.getvalue()
    assert f"gsk_{raw_key.split('_')[1]}_***" in json_log.getvalue()  # the prefix still names the key


def test_every_issued_key_is_masked_wherever_it_stands_in_a_line():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text(max_size=20), st.text(max_size=20))
    def check(before: str, after: str) -> None:
        _prefix, raw = ChannelKey.generate()
        once = redact(before + raw + after)
        assert _secret(raw) not in once
        assert redact(once) == once  # every handler masks the record again: nothing more may change

    check()


def test_the_access_log_drops_api_query_strings_and_masks_keys(tmp_path, raw_key):
    from gunicorn.config import Config

    from govservice.accesslog import AccessLogger

    log_file = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log_file))
    logger = AccessLogger(config)

    class Response:
        status = "400 Bad Request"
        sent = 10
        headers: list[tuple[str, str]] = []

    class Req:
        headers = [("AUTHORIZATION", f"Key {raw_key}")]

    def line(path: str, query: str, referer: str = "-") -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"{path}?{query}",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_REFERER": referer,
        }
        logger.access(Response(), Req(), environ, timedelta(milliseconds=3))

    line("/open311/v2/requests.json", f"api_key={raw_key}&status=open")
    line("/feedback/status/", "no=GS123", referer=f"https://x.example/?k={raw_key}")
    written = log_file.read_text()
    assert "GET /open311/v2/requests.json HTTP/1.1" in written
    assert "status=open" not in written  # the query of an API path is dropped whole
    assert "/feedback/status/?no=GS123" in written  # other pages keep theirs
    assert _secret(raw_key) not in written


def test_gunicorn_started_in_the_project_uses_the_access_logger():
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["logger_class"] == "govservice.accesslog.AccessLogger"


# --- throttles per key ----------------------------------------------------------------------------


def test_an_open311_client_with_a_key_is_not_held_to_the_per_address_limit(raw_key):
    client = Client()
    codes = [client.get(f"{BASE}services.json", HTTP_AUTHORIZATION=f"Key {raw_key}").status_code for _ in range(31)]
    assert codes == [200] * 31  # the default public rate is 30/min per address


def test_an_anonymous_open311_client_is_still_limited_per_address(rates):
    rates(public="2/min")
    client = Client()
    codes = [client.get(f"{BASE}services.json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_keys_own_limit_applies_to_it_alone(channel, raw_key, centre, rates):
    rates(channel="100/min")
    ChannelKey.objects.filter(channel=channel).update(requests_per_minute=2)
    limited, other = ChannelClient(raw_key), ChannelClient(issued_key(hotline_channel(centre, code="other")))
    codes = [limited.get(UPDATES).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = limited.get(UPDATES)
    assert int(refused["Retry-After"]) >= 1
    assert other.get(UPDATES).status_code == 200


def test_open311_reads_and_posts_of_a_key_share_its_limit(channel, raw_key, rates):
    rates(channel="100/min")
    ChannelKey.objects.filter(channel=channel).update(requests_per_minute=1)
    client = Client()
    assert client.get(f"{BASE}services.json", HTTP_AUTHORIZATION=f"Key {raw_key}").status_code == 200
    response = client.post(
        f"{BASE}requests.json",
        f"api_key={raw_key}&service_code=complaint&address_string=x&description=y",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_the_centre_administrator_sets_a_keys_limit_in_the_admin(real_urls, admin_client, channel, raw_key):
    key = ChannelKey.objects.get(channel=channel)
    url = f"/admin/intake/channelkey/{key.pk}/change/"
    response = admin_client.post(url, {"requests_per_minute": "600"})
    assert response.status_code == 302, response.content.decode()[:2000]
    key.refresh_from_db()
    assert key.requests_per_minute == 600
    assert key.label == "test"  # nothing else of an issued key changes
    assert LogEntry.objects.filter(object_id=str(key.pk)).exists()  # who changed it, and when
    refused = admin_client.post(url, {"requests_per_minute": "0"})
    assert refused.status_code == 200  # the form again, with its error
    key.refresh_from_db()
    assert key.requests_per_minute == 600


def test_every_429_carries_retry_after():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from govservice.throttling import RetryAfterMiddleware

    bare = RetryAfterMiddleware(lambda request: HttpResponse(status=429))(RequestFactory().get("/"))
    assert int(bare["Retry-After"]) > 0

    def own(request):
        response = HttpResponse(status=429)
        response["Retry-After"] = "7"
        return response

    assert RetryAfterMiddleware(own)(RequestFactory().get("/"))["Retry-After"] == "7"


# --- the delivery log -----------------------------------------------------------------------------


@pytest.fixture
def delivered_to(channel, api, settings, django_capture_on_commit_callbacks):
    """Deliver one status change to `url` and return the channel's delivery log entry and the row."""
    settings.DEBUG = True  # plain http for the local servers
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # as a test or on-premises deployment may

    def _deliver(url: str) -> tuple[dict, WebhookDelivery]:
        WebhookDelivery.objects.all().delete()
        sub = subscription(channel, url=url)
        with django_capture_on_commit_callbacks(execute=True):
            api.post(COMPLAINTS, {"content": "x"})
        WebhookSubscription.objects.filter(pk=sub.pk).update(is_active=False)  # the next call has its own
        row = WebhookDelivery.objects.order_by("-pk")[0]
        log = api.get("/api/v1/intake/webhooks/deliveries/").json()
        return log[0], row

    return _deliver


def test_the_delivery_log_tells_the_channel_no_port_state(delivered_to, monkeypatch):
    monkeypatch.setattr(services, "WEBHOOK_TIMEOUT_SECONDS", 1)  # the silent port's read time-out
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers: an open port of a service that is not HTTP
    try:
        closed_log, closed_row = delivered_to(f"http://127.0.0.1:{closed_port}/")
        open_log, open_row = delivered_to(f"http://127.0.0.1:{silent.getsockname()[1]}/")
    finally:
        silent.close()
    assert closed_log["last_error"] == open_log["last_error"] == "Target address unreachable"
    assert closed_row.last_error_detail != open_row.last_error_detail  # the administrator sees the difference
    assert "Refused" in closed_row.last_error_detail


def test_a_refused_internal_address_is_logged_without_a_connection(delivered_to, settings, monkeypatch):
    from govservice import outbound

    monkeypatch.setattr(outbound, "resolver", lambda host, port: ["10.0.0.7"])
    log, row = delivered_to("http://hooks.partner.example:6379/")
    assert log["last_error"] == "Target address not allowed (internal network)"
    assert "10.0.0.7" in row.last_error_detail and "10.0.0.7" not in json.dumps(log)
