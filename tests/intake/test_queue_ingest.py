"""The queue feed's ingest: idempotent, ordered by the events' own time, bad events answered one by one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.models import QueueEvent, QueueTicket
from intake.queue.derive import ticket_derive
from intake.queue.services import queue_device_revoke, queue_events_ingest
from tests.factories.intake import queue_device, queue_event
from tests.factories.staff import WindowFactory
from tests.intake.conftest import ChannelClient

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 11, 0, tzinfo=SH)
URL = "/api/v1/queue/events/"


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, second, tzinfo=SH)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def device(centre):
    return queue_device(centre)[0]


@pytest.fixture
def device_api(centre) -> ChannelClient:
    return ChannelClient(queue_device(centre, name="叫号系统")[1])


@pytest.fixture
def staffed(window_staff):
    window_staff.staff_no = "S001"
    window_staff.save(update_fields=["staff_no"])
    return window_staff


def lifecycle(ticket: str = "A001") -> list[dict[str, str]]:
    return [
        queue_event("taken", ticket, at(9, 0), matter="营业执照"),
        queue_event("called", ticket, at(9, 12), window="B01", staff_no="S001"),
        queue_event("started", ticket, at(9, 13), window="B01"),
        queue_event("ended", ticket, at(9, 25), window="B01"),
    ]


def test_a_full_lifecycle_makes_one_ticket_row_with_its_times(device, window, staffed):
    results = queue_events_ingest(device=device, items=lifecycle())
    assert [r.status for r in results] == ["created"] * 4
    ticket = QueueTicket.objects.get()
    assert (ticket.number, ticket.matter, ticket.status) == ("A001", "营业执照", QueueTicket.Status.DONE)
    assert (ticket.taken_at, ticket.called_at, ticket.started_at, ticket.ended_at) == (
        at(9, 0),
        at(9, 12),
        at(9, 13),
        at(9, 25),
    )
    assert (ticket.window, ticket.staff) == (window, staffed)
    assert (ticket.wait_seconds, ticket.service_seconds) == (12 * 60, 12 * 60)
    assert not ticket.has_out_of_order


def test_arrival_order_does_not_matter_only_the_events_own_time(device, window, staffed):
    queue_events_ingest(device=device, items=list(reversed(lifecycle())))
    ticket = QueueTicket.objects.get()
    assert ticket.status == QueueTicket.Status.DONE
    assert ticket.wait_seconds == 12 * 60
    assert not QueueEvent.objects.filter(out_of_order=True).exists()


def test_the_same_event_sent_twice_is_stored_once(device, window, staffed):
    queue_events_ingest(device=device, items=lifecycle())
    results = queue_events_ingest(device=device, items=lifecycle())
    assert [r.status for r in results] == ["duplicate"] * 4
    assert QueueEvent.objects.count() == 4


def test_a_duplicate_a_late_event_and_a_bad_event_in_one_batch(device, window, staffed):
    queue_events_ingest(device=device, items=lifecycle())
    batch = [
        queue_event("called", "A001", at(9, 12), window="B01", staff_no="S001"),  # duplicate
        queue_event("called", "A001", at(9, 40), window="B01"),  # after "ended": late, kept and flagged
        queue_event("taken", "A002", at(9, 30)),  # good
        queue_event("called", "A002", at(9, 35), window="Z99"),  # bad: no such window
    ]
    results = queue_events_ingest(device=device, items=batch)
    assert [(r.index, r.status, r.out_of_order) for r in results] == [
        (0, "duplicate", False),
        (1, "created", True),
        (2, "created", False),
        (3, "rejected", False),
    ]
    assert set(results[3].errors) == {"window"}
    late = QueueEvent.objects.get(ticket__number="A001", occurred_at=at(9, 40))
    assert late.out_of_order
    first = QueueTicket.objects.get(number="A001")
    assert first.has_out_of_order and first.status == QueueTicket.Status.DONE
    assert first.called_at == at(9, 12)  # the flagged event takes no part in the row
    assert QueueTicket.objects.get(number="A002").status == QueueTicket.Status.WAITING


def test_a_late_taken_clears_the_flag_of_the_call_that_arrived_before_it(device, window):
    first = queue_events_ingest(device=device, items=[queue_event("called", "A003", at(10, 5), window="B01")])
    assert first[0].out_of_order
    queue_events_ingest(device=device, items=[queue_event("taken", "A003", at(10, 0))])
    call = QueueEvent.objects.get(kind="called")
    assert not call.out_of_order
    ticket = QueueTicket.objects.get()
    assert (ticket.status, ticket.wait_seconds, ticket.has_out_of_order) == (QueueTicket.Status.CALLED, 300, False)


def test_a_transfer_sends_the_ticket_to_the_other_window(device, centre, window):
    other = WindowFactory(centre=centre, code="B02")
    queue_events_ingest(
        device=device,
        items=[
            queue_event("taken", "A004", at(9, 0)),
            queue_event("called", "A004", at(9, 5), window="B01"),
            queue_event("transferred", "A004", at(9, 6), window="B01", to_window="B02"),
        ],
    )
    ticket = QueueTicket.objects.get()
    assert (ticket.status, ticket.window, ticket.transferred) == (QueueTicket.Status.WAITING, other, True)
    queue_events_ingest(device=device, items=[queue_event("called", "A004", at(9, 20), window="B02")])
    ticket.refresh_from_db()
    assert ticket.status == QueueTicket.Status.CALLED
    assert ticket.wait_seconds == 5 * 60  # waiting: taken → first call


def test_a_no_show_is_recorded(device, window):
    queue_events_ingest(
        device=device,
        items=[
            queue_event("taken", "A005", at(9, 0)),
            queue_event("called", "A005", at(9, 5), window="B01"),
            queue_event("no_show", "A005", at(9, 8)),
        ],
    )
    ticket = QueueTicket.objects.get()
    assert (ticket.status, ticket.no_show) == (QueueTicket.Status.NO_SHOW, True)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"kind": "called", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00"}, "window"),
        ({"kind": "transferred", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00"}, "to_window"),
        (
            {"kind": "taken", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00", "to_window": "B01"},
            "to_window",
        ),
        ({"kind": "boarded", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00"}, "kind"),
        ({"kind": "taken", "ticket": "A 1", "occurred_at": "2026-12-07T09:00:00+08:00"}, "ticket"),
        ({"kind": "taken", "ticket": "A1", "occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "taken", "ticket": "A1", "occurred_at": "2026-12-07T12:00:00+08:00"}, "occurred_at"),  # future
        ({"kind": "taken", "ticket": "A1", "occurred_at": "2026-10-01T12:00:00+08:00"}, "occurred_at"),  # too old
        ({"kind": "taken", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00", "staff_no": "X9"}, "staff_no"),
        ({"kind": "taken", "ticket": "A1", "occurred_at": "2026-12-07T09:00:00+08:00", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_event_is_rejected_with_the_field_named_and_nothing_stored(device, window, event, field):
    results = queue_events_ingest(device=device, items=[event])
    assert results[0].status == "rejected"
    assert field in results[0].errors
    assert not QueueEvent.objects.exists()


def test_another_centres_window_is_not_found(device, other_centre):
    WindowFactory(centre=other_centre, code="G01")
    results = queue_events_ingest(device=device, items=[queue_event("called", "A1", at(9, 0), window="G01")])
    assert results[0].status == "rejected" and "window" in results[0].errors


# --- the ordering rule over any events ---------------------------------------------------------

KINDS = [k.value for k in QueueEvent.Kind]


class _E:
    def __init__(self, kind: str, minute: int) -> None:
        self.kind, self.occurred_at = kind, at(9, 0) + timedelta(minutes=minute)
        self.window_id = self.to_window_id = self.staff_id = None
        self.matter = ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 120)), max_size=12), st.randoms())
def test_the_row_depends_on_the_events_not_on_their_arrival_order(events, rnd):
    given_order = [_E(kind, minute) for kind, minute in events]
    shuffled = list(given_order)
    rnd.shuffle(shuffled)
    a, b = ticket_derive(given_order), ticket_derive(shuffled)
    assert (a.status, a.taken_at, a.called_at, a.started_at, a.ended_at, a.no_show, a.transferred) == (
        b.status,
        b.taken_at,
        b.called_at,
        b.started_at,
        b.ended_at,
        b.no_show,
        b.transferred,
    )
    assert len(a.out_of_order) == len(b.out_of_order)
    # The times that count are in lifecycle order: never a call before the ticket, an end before the start.
    if a.taken_at and a.called_at:
        assert a.taken_at <= a.called_at
    if a.started_at and a.ended_at:
        assert a.started_at <= a.ended_at
    if a.wait_seconds is not None:
        assert a.wait_seconds >= 0


# --- the HTTP contract --------------------------------------------------------------------------


def test_the_api_answers_each_event_and_keeps_the_good_ones(device_api, window, staffed):
    device_api.post(URL, {"events": lifecycle()})
    batch = [
        queue_event("called", "A001", at(9, 12), window="B01", staff_no="S001"),
        queue_event("called", "A001", at(9, 40), window="B01"),
        queue_event("taken", "A002", at(9, 30)),
        queue_event("called", "A002", at(9, 35), window="Z99"),
    ]
    response = device_api.post(URL, {"events": batch})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicates"], body["rejected"]) == (2, 1, 1)
    assert [r["status"] for r in body["results"]] == ["duplicate", "created", "created", "rejected"]
    assert body["results"][1]["out_of_order"] is True
    assert body["results"][3]["errors"] == {"window": ["No such window in this centre."]}


def test_the_reason_is_in_chinese_by_default(centre, window):
    api = ChannelClient(queue_device(centre)[1], language="zh-hans")
    response = api.post(URL, {"events": [queue_event("called", "A1", at(9, 0), window="Z99")]})
    assert response.json()["results"][0]["errors"] == {"window": ["本中心没有这个窗口号。"]}


def test_an_item_that_is_not_an_object_is_rejected_alone(device_api):
    response = device_api.post(URL, {"events": ["A001", queue_event("taken", "A001", at(9, 0))]})
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "created"]


@pytest.mark.parametrize("body", [{}, {"events": []}, {"events": "A001"}, {"events": [], "extra": 1}])
def test_a_request_that_is_not_a_batch_is_a_400(device_api, body):
    response = device_api.post(URL, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_too_many_events_is_a_400_and_stores_nothing(device_api):
    events = [queue_event("taken", f"A{i}", at(9, 0)) for i in range(501)]
    response = device_api.post(URL, {"events": events})
    assert response.status_code == 400
    assert not QueueEvent.objects.exists()


@pytest.mark.parametrize("header", [None, "Key gsk_00000000_nope", "Key ", "Bearer abc"])
def test_a_missing_or_wrong_key_is_refused(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(URL, data={"events": [{}]}, content_type="application/json", **extra)
    assert response.status_code == 403
    assert not QueueTicket.objects.exists()


def test_a_channel_key_is_not_a_device_key(api):
    response = api.post(URL, {"events": [queue_event("taken", "A1", at(9, 0))]})
    assert response.status_code == 403


def test_a_revoked_device_is_refused(centre):
    device, raw = queue_device(centre)
    queue_device_revoke(device_id=device.pk)
    response = ChannelClient(raw).post(URL, {"events": [queue_event("taken", "A1", at(9, 0))]})
    assert response.status_code == 403


def test_a_key_in_the_url_is_refused(centre, client):
    raw = queue_device(centre)[1]
    response = client.post(f"{URL}?key={raw}", data={"events": []}, content_type="application/json")
    assert response.status_code == 400


def test_a_device_writes_into_its_own_centre_only(centre, other_centre, window):
    WindowFactory(centre=other_centre, code="B01")
    ChannelClient(queue_device(other_centre)[1]).post(URL, {"events": [queue_event("taken", "A001", at(9, 0))]})
    ChannelClient(queue_device(centre)[1]).post(URL, {"events": [queue_event("taken", "A001", at(9, 1))]})
    assert sorted(QueueTicket.objects.values_list("centre__code", "taken_at")) == [
        ("city", at(9, 1)),
        ("gxq", at(9, 0)),
    ]


def test_the_queue_endpoint_is_in_the_public_channels_schema(client, real_urls):
    response = client.get("/api/schema/channels/")
    assert response.status_code == 200
    assert b"/api/v1/queue/events/" in response.content
    assert b"queueDeviceKey" in response.content
