"""Open311 GeoReport v2: every method in JSON and XML, with the spec's errors and status codes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlencode
from xml.etree import ElementTree as ET  # noqa: S405 - parsing our own test output

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import MatterType
from complaints.models import Complaint, Evaluation
from intake.services import channel_key_revoke
from tests.factories.complaints import ComplaintFactory

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
ISO_WITH_ZONE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
FORMATS = ["json", "xml"]


def parse(response, fmt: str):
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return response.json()
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314


def error_codes(response, fmt: str) -> list[int]:
    body = parse(response, fmt)
    if fmt == "json":
        assert all(set(e) == {"code", "description"} for e in body)
        return [e["code"] for e in body]
    assert body.tag == "errors"
    return [int(e.findtext("code")) for e in body.findall("error")]


@pytest.fixture
def matter(centre):
    return MatterType.objects.create(centre=centre, code="QY001", name="企业开办", promised_days=3, correction_days=3)


@pytest.fixture
def post(raw_key):
    client = Client()

    def _post(fmt: str, data: dict, key: str | None = raw_key, **extra):
        body = dict(data)
        if key is not None:
            body["api_key"] = key
        return client.post(
            f"{BASE}requests.{fmt}",
            urlencode(body, doseq=True),
            content_type="application/x-www-form-urlencoded",
            HTTP_ACCEPT_LANGUAGE="en",
            **extra,
        )

    return _post


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_both_formats(client, fmt):
    body = parse(client.get(f"{BASE}discovery.{fmt}"), fmt)
    if fmt == "json":
        endpoint = body["endpoints"][0]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert ISO_WITH_ZONE.match(body["changeset"])
        assert endpoint["url"].endswith("/open311/v2/")
    else:
        assert body.tag == "discovery"
        formats = [f.text for f in body.find("endpoints/endpoint/formats")]
        assert formats == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_has_categories_evaluation_and_matter_types(client, matter, fmt):
    body = parse(client.get(f"{BASE}services.{fmt}"), fmt)
    if fmt == "json":
        codes = {s["service_code"] for s in body}
        evaluation = next(s for s in body if s["service_code"] == "evaluation")
        assert evaluation["metadata"] is True
        assert evaluation["type"] == "realtime"
        assert all(isinstance(s["service_code"], str) for s in body)
    else:
        assert body.tag == "services"
        codes = {s.findtext("service_code") for s in body.findall("service")}
        evaluation = next(s for s in body.findall("service") if s.findtext("service_code") == "evaluation")
        assert evaluation.findtext("metadata") == "true"
    assert {"complaint", "complaint-attitude", "suggestion", "evaluation", "matter-city-QY001"} <= codes


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_jurisdiction_is_404(client, centre, fmt):
    response = client.get(f"{BASE}services.{fmt}", {"jurisdiction_id": "nowhere"})
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


def test_an_empty_jurisdiction_means_absent(client, centre):
    assert client.get(f"{BASE}services.json", {"jurisdiction_id": ""}).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_has_typed_attributes(client, fmt):
    body = parse(client.get(f"{BASE}services/evaluation.{fmt}"), fmt)
    if fmt == "json":
        assert body["service_code"] == "evaluation"
        level = next(a for a in body["attributes"] if a["code"] == "level")
        assert level["datatype"] == "singlevaluelist"
        assert level["required"] is True
        assert [v["key"] for v in level["values"]] == ["5", "4", "3", "2", "1"]
        orders = [a["order"] for a in body["attributes"]]
        assert len(orders) == len(set(orders))
    else:
        assert body.tag == "service_definition"
        level = next(a for a in body.find("attributes") if a.findtext("code") == "level")
        assert level.findtext("datatype") == "singlevaluelist"
        assert level.findtext("required") == "true"
        assert [v.findtext("key") for v in level.find("values")] == ["5", "4", "3", "2", "1"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_definition_is_404(client, fmt):
    response = client.get(f"{BASE}services/nope.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


# --- POST requests -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_a_complaint_returns_the_id_and_the_notice(post, channel, window, fmt):
    response = post(
        fmt,
        {
            "service_code": "complaint-attitude",
            "address_id": "B01",
            "description": "工作人员态度冷漠",
            "account_id": "u-9",
        },
    )
    assert response.status_code == 200, response.content
    complaint = Complaint.objects.get()
    assert complaint.channel == channel
    assert complaint.window == window
    body = parse(response, fmt)
    if fmt == "json":
        assert body == [
            {
                "service_request_id": complaint.tracking_no,
                "service_notice": body[0]["service_notice"],
                "account_id": "u-9",
            }
        ]
        assert complaint.tracking_no in body[0]["service_notice"]
    else:
        assert body.tag == "service_requests"
        assert body.findtext("request/service_request_id") == complaint.tracking_no


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_an_evaluation_with_attributes(post, fmt, window_staff):
    window_staff.staff_no = "S9"
    window_staff.save()
    response = post(
        fmt,
        {
            "service_code": "evaluation",
            "address_string": "B01 窗口",
            "attribute[level]": "4",
            "attribute[staff_no]": "S9",
        },
    )
    assert response.status_code == 200, response.content
    evaluation = Evaluation.objects.get()
    assert evaluation.level == 4
    assert evaluation.staff == window_staff


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "gsk_00000000_wrong"])
def test_post_without_a_good_api_key_is_403(post, fmt, key):
    response = post(fmt, {"service_code": "complaint", "address_string": "大厅", "description": "x"}, key=key)
    assert response.status_code == 403
    assert error_codes(response, fmt) == [403]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_a_revoked_key_is_403(post, channel, fmt):
    channel_key_revoke(key_id=channel.keys.get().pk)
    response = post(fmt, {"service_code": "complaint", "address_string": "大厅", "description": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"service_code": "nope", "address_string": "x", "description": "x"}, 404),
        ({"service_code": "complaint", "address_string": "x", "description": "x", "jurisdiction_id": "zz"}, 404),
        ({"address_string": "x", "description": "x"}, 400),  # no service_code
        ({"service_code": "complaint", "description": "x"}, 400),  # no location
        ({"service_code": "complaint", "lat": "30.1", "description": "x"}, 400),  # lat without long
        ({"service_code": "complaint", "address_string": "x"}, 400),  # no description
        ({"service_code": "complaint", "address_string": "x", "description": "<b>x</b>"}, 400),  # HTML
        ({"service_code": "complaint", "address_string": "x", "description": "长" * 4001}, 400),
        ({"service_code": "complaint", "address_string": "x", "description": "x", "phone": "123"}, 400),
        ({"service_code": "complaint", "address_string": "x", "description": "x", "colour": "red"}, 400),
        ({"service_code": "evaluation", "address_string": "x"}, 400),  # required attribute
        ({"service_code": "evaluation", "address_string": "x", "attribute[level]": "9"}, 400),  # bad value
        ({"service_code": "evaluation", "address_string": "x", "attribute[level]": "5", "attribute[x]": "1"}, 400),
    ],
)
def test_post_errors_follow_the_spec(post, centre, fmt, data, status):
    response = post(fmt, data)
    assert response.status_code == status, response.content
    assert error_codes(response, fmt) and set(error_codes(response, fmt)) == {status}
    assert not Complaint.objects.exists()
    assert not Evaluation.objects.exists()


def test_post_json_instead_of_a_form_is_400_in_the_spec_shape(raw_key, client):
    response = client.post(
        f"{BASE}requests.json",
        json.dumps({"service_code": "complaint"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {raw_key}",
    )
    assert response.status_code == 400
    assert error_codes(response, "json") == [400]


def test_post_is_idempotent_with_the_header(post):
    data = {"service_code": "suggestion", "address_string": "大厅", "description": "希望增加自助机"}
    first = post("json", data, HTTP_IDEMPOTENCY_KEY="o-1")
    second = post("xml", data, HTTP_IDEMPOTENCY_KEY="o-1")
    assert first.status_code == second.status_code == 200
    assert Complaint.objects.count() == 1
    assert parse(second, "xml").findtext("request/service_request_id") == first.json()[0]["service_request_id"]


def test_post_a_matter_type_complaint_links_the_matter(post, matter):
    response = post("json", {"service_code": "matter-city-QY001", "address_string": "大厅", "description": "办了三次"})
    assert response.status_code == 200, response.content
    assert Complaint.objects.get().matter_type == matter


# --- GET requests ------------------------------------------------------------------------------


@pytest.fixture
def complaints(centre, channel):
    now = timezone.now()
    return [
        ComplaintFactory(centre=centre, channel=channel, tracking_no="GST1", content="电话13800138000态度差"),
        ComplaintFactory(centre=centre, channel=channel, tracking_no="GST2", status=Complaint.Status.CLOSED),
        ComplaintFactory(centre=centre, channel=channel, tracking_no="GST3", received_at=now - timedelta(days=120)),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_defaults_to_the_last_90_days(client, complaints, fmt):
    body = parse(client.get(f"{BASE}requests.{fmt}"), fmt)
    if fmt == "json":
        ids = [r["service_request_id"] for r in body]
        record = next(r for r in body if r["service_request_id"] == "GST1")
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert ISO_WITH_ZONE.match(record[key]), record[key]
        assert record["status"] == "open"
        assert record["description"] is None  # no citizen text on the public list
    else:
        assert body.tag == "service_requests"
        ids = [r.findtext("service_request_id") for r in body.findall("request")]
        assert ISO_WITH_ZONE.match(body.find("request").findtext("expected_datetime"))
    assert sorted(ids) == ["GST1", "GST2"]


def test_get_requests_filters(client, complaints):
    def ids(**params):
        response = client.get(f"{BASE}requests.json", params)
        assert response.status_code == 200, response.content
        return sorted(r["service_request_id"] for r in response.json())

    assert ids(status="closed") == ["GST2"]
    assert ids(status="open") == ["GST1"]
    assert ids(service_request_id="GST3,GST1") == ["GST1", "GST3"]  # overrides the date window
    start = (timezone.now() - timedelta(days=130)).isoformat()
    end = (timezone.now() - timedelta(days=100)).isoformat()
    assert ids(start_date=start, end_date=end) == ["GST3"]
    assert ids(service_code="evaluation") == []
    assert ids(service_code="complaint") == ["GST1", "GST2"]
    assert len(ids(page_size=1)) == 1
    assert ids(page_size=1, page=1) != ids(page_size=1, page=2)
    assert ids(page_size=1, page=3) == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start_date": "last week"}, 400),
        ({"status": "pending"}, 400),
        ({"page": "0"}, 400),
        ({"page_size": "5000"}, 400),
        ({"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}, 400),
        ({"service_code": "nope"}, 404),
        ({"jurisdiction_id": "nope"}, 404),
    ],
)
def test_get_requests_errors(client, fmt, params, status):
    response = client.get(f"{BASE}requests.{fmt}", params)
    assert response.status_code == status
    assert set(error_codes(response, fmt)) == {status}


def test_get_requests_list_is_not_n_plus_one(client, complaints, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get(f"{BASE}requests.json").status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request(client, complaints, fmt):
    body = parse(client.get(f"{BASE}requests/GST1.{fmt}"), fmt)
    if fmt == "json":
        assert len(body) == 1
        assert body[0]["service_request_id"] == "GST1"
    else:
        assert body.findtext("request/service_request_id") == "GST1"


def test_the_submitting_channel_reads_its_own_text_scrubbed(client, complaints, raw_key):
    body = client.get(f"{BASE}requests/GST1.json", HTTP_AUTHORIZATION=f"Key {raw_key}").json()
    assert body[0]["description"] == "电话138****8000态度差"


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_unknown_request_is_404(client, fmt):
    response = client.get(f"{BASE}requests/GS404.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


def test_an_evaluation_posted_is_readable_as_a_request(post, client):
    response = post("json", {"service_code": "evaluation", "address_string": "x", "attribute[level]": "1"})
    request_id = response.json()[0]["service_request_id"]
    body = client.get(f"{BASE}requests/{request_id}.json").json()
    assert body[0]["service_code"] == "evaluation"
    assert body[0]["status"] in ("open", "closed")


@pytest.mark.parametrize("path", ["services.yaml", "discovery.AAA", "requests/GS1.html", "services/x.txt"])
def test_an_unknown_format_is_404_in_the_spec_shape(client, path):
    response = client.get(f"{BASE}{path}")
    assert response.status_code == 404
    assert error_codes(response, "json") == [404]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", ""),
        (b"", "application/x-www-form-urlencoded"),
        (b"service_code=evaluation&address_string=x&attribute%5Blevel%5D%5B%5D=1", "application/x-www-form-urlencoded"),
    ],
)
def test_odd_post_bodies_are_400_not_500(client, raw_key, body, content_type):
    response = client.generic(
        "POST", f"{BASE}requests.json", body, content_type=content_type, HTTP_AUTHORIZATION=f"Key {raw_key}"
    )
    assert response.status_code == 400
    assert error_codes(response, "json") == [400]


@pytest.mark.parametrize("fmt", FORMATS)
def test_open311_throttling_is_429_with_retry_after_in_the_spec_shape(client, rates, fmt):
    rates(public="1/min")
    assert client.get(f"{BASE}services.{fmt}").status_code == 200
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert error_codes(response, fmt) == [429]


@pytest.mark.parametrize("fmt", FORMATS)
def test_open311_oversized_post_is_refused_before_parsing(post, settings, fmt):
    settings.INTAKE_MAX_BODY_BYTES = 500
    response = post(fmt, {"service_code": "complaint", "address_string": "x", "description": "长" * 400})
    assert response.status_code == 413
    assert error_codes(response, fmt) == [413]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_control_character_in_a_request_is_a_400_in_the_specs_error_shape(post, fmt):
    response = post(fmt, {"service_code": "complaint", "address_string": "x", "description": "坏\x07字符"})
    assert response.status_code == 400
    assert error_codes(response, fmt) == [400]
    assert not Complaint.objects.exists()


def test_xml_never_carries_control_characters(client, raw_key, centre, channel):
    # Refused at the door now (above); a record holding one from before is still written out without it.
    ComplaintFactory(centre=centre, channel=channel, tracking_no="GSX1", content="坏\x07字符")
    response = client.get(f"{BASE}requests.xml", HTTP_AUTHORIZATION=f"Key {raw_key}")
    root = parse(response, "xml")
    assert root.findtext("request/description") == "坏字符"


def test_a_category_service_keeps_the_category_in_chinese_text(post):
    post("json", {"service_code": "complaint-attitude", "address_string": "x", "description": "冷漠"})
    assert Complaint.objects.get().content == "【投诉：服务态度】冷漠"


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_do_not_exist_for_realtime_services(client, fmt):
    response = client.get(f"{BASE}tokens/abc.{fmt}")
    assert response.status_code == 404
    assert error_codes(response, fmt) == [404]


def test_a_query_time_with_an_offset_postgresql_refuses_or_a_far_year_is_a_400_not_a_500(client, raw_key):
    # Found by the schema fuzz test on PostgreSQL: +19:00 is a valid offset to Python, not to PostgreSQL.
    auth = {"HTTP_AUTHORIZATION": f"Key {raw_key}"}
    ok = client.get(f"{BASE}requests.json", {"start_date": "2026-11-30T02:21:08+19:00"}, **auth)
    assert ok.status_code == 200
    far = client.get(f"{BASE}requests.json", {"end_date": "1039-01-15T02:21:08.25+19:00"}, **auth)
    assert far.status_code == 400
