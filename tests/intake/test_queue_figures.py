"""The queue figures with known numbers, and the live view's access and alert."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from intake.queue.selectors import p90, queue_figures, queue_heatmap, queue_live, queue_totals
from intake.queue.services import queue_events_ingest, queue_settings_set
from tests.conftest import login
from tests.factories.intake import queue_device, queue_event
from tests.factories.staff import WindowFactory, window_staff

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 11, 0, tzinfo=SH)


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=SH)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def served(ticket: str, taken: datetime, wait: int, service: int, window: str, staff_no: str = "") -> list[dict]:
    called = taken + timedelta(minutes=wait)
    extra = {"staff_no": staff_no} if staff_no else {}
    return [
        queue_event("taken", ticket, taken, matter="社保"),
        queue_event("called", ticket, called, window=window, **extra),
        queue_event("started", ticket, called, window=window),
        queue_event("ended", ticket, called + timedelta(minutes=service), window=window),
    ]


@pytest.fixture
def day_of_queue(centre):
    """B01 (王芳): waits 10, 20, 30 min, services 5, 7, 9; B02 (李强): waits 4, 40 + a no-show; A009 still waiting."""
    b01, b02 = WindowFactory(centre=centre, code="B01"), WindowFactory(centre=centre, code="B02")
    window_staff(centre=centre, window=b01, name="王芳", staff_no="S01", username="wf")
    window_staff(centre=centre, window=b02, name="李强", staff_no="S02", username="lq")
    device, _raw = queue_device(centre)
    events = [
        *served("A001", at(9, 0), 10, 5, "B01", "S01"),
        *served("A002", at(9, 0), 20, 7, "B01", "S01"),
        *served("A003", at(9, 0), 30, 9, "B01", "S01"),
        *served("A004", at(9, 0), 4, 6, "B02", "S02"),
        *served("A005", at(9, 0), 40, 10, "B02", "S02"),
        queue_event("taken", "A006", at(9, 30)),
        queue_event("called", "A006", at(9, 50), window="B02", staff_no="S02"),
        queue_event("no_show", "A006", at(9, 55)),
        queue_event("taken", "A009", at(10, 20), matter="公积金"),  # waiting 40 min at 11:00
        queue_event("taken", "A010", at(10, 50), matter="公积金"),  # waiting 10 min
    ]
    results = queue_events_ingest(device=device, items=events)
    assert {r.status for r in results} == {"created"}
    return {"b01": b01, "b02": b02, "device": device}


def test_p90_is_the_nearest_rank():
    assert p90([]) is None
    assert p90([7]) == 7
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 12))) == 10  # ceil(0.9 × 11) = 10th


def test_figures_per_window_have_the_known_numbers(centre, day_of_queue):
    b01, b02 = queue_figures(centre=centre, start=DAY, end=DAY)
    assert (b01.label, b01.tickets, b01.served, b01.no_shows) == ("B01", 3, 3, 0)
    assert (b01.wait_average, b01.wait_p90, b01.wait_longest) == (20 * 60, 30 * 60, 30 * 60)
    assert b01.service_average == 7 * 60
    assert (b02.label, b02.tickets, b02.served, b02.no_shows) == ("B02", 3, 2, 1)
    assert (b02.wait_average, b02.wait_longest) == (round((4 + 40 + 20) * 60 / 3), 40 * 60)
    assert b02.service_average == 8 * 60
    assert b02.no_show_rate == 33.3


def test_figures_per_staff_member_follow_who_called(centre, day_of_queue):
    figures = {f.label: f for f in queue_figures(centre=centre, start=DAY, end=DAY, by="staff")}
    assert set(figures) == {"王芳", "李强"}
    assert (figures["王芳"].tickets, figures["李强"].tickets, figures["李强"].no_shows) == (3, 3, 1)


def test_the_centre_totals_count_every_ticket_taken(centre, day_of_queue):
    totals = queue_totals(centre=centre, start=DAY, end=DAY)
    assert (totals.tickets, totals.served, totals.no_shows) == (8, 5, 1)
    assert totals.wait_longest == 40 * 60


def test_another_day_and_another_centre_count_nothing(centre, other_centre, day_of_queue):
    assert queue_figures(centre=centre, start=DAY + timedelta(days=1), end=DAY + timedelta(days=1)) == []
    assert queue_figures(centre=other_centre, start=DAY, end=DAY) == []


def test_the_live_view_lists_who_waits_longest_first_and_flags_the_threshold(centre, day_of_queue):
    live = queue_live(centre=centre)
    assert [(w.number, w.minutes, w.over) for w in live.waiting] == [("A009", 40, True), ("A010", 10, False)]
    assert live.threshold_minutes == 30 and live.longest_minutes == 40
    queue_settings_set(centre=centre, wait_alert_minutes=45, actor=None)
    assert queue_live(centre=centre).over_threshold == []


def test_todays_longest_wait_counts_those_still_waiting(centre, day_of_queue):
    # At 11:00 the longest wait already served is A005's 40 minutes, and A009 has waited 40 minutes too.
    assert queue_live(centre=centre).longest_today_minutes == 40.0
    # Half an hour later nobody has been called: A009's 70 minutes is today's longest, on both tiles.
    later = queue_live(centre=centre, now=at(11, 30))
    assert later.longest_minutes == 70
    assert later.longest_today_minutes == 70.0


def test_the_heat_map_counts_calls_per_window_and_hour(centre, day_of_queue):
    heat = queue_heatmap(centre=centre, start=DAY, end=DAY)
    assert heat.windows == ["B01", "B02"]
    assert heat.hours[0] == 8 and heat.hours[-1] == 18
    counts = {(w, h): c.count for (w, h), c in heat.cells.items()}
    assert counts == {("B01", 9): 3, ("B02", 9): 3}
    assert {c.level for c in heat.cells.values()} == {4}


# --- the page -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("real_urls")
def test_the_leader_sees_the_alert_on_the_live_view(client, leader, day_of_queue):
    login(client, leader)
    response = client.get("/queue/live/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="queue-alert"' in page and "1 人已等候超过 30 分钟" in page
    assert 'data-ticket="A009" data-over="1"' in page
    assert 'hx-trigger="every 15s"' in page


@pytest.mark.usefixtures("real_urls")
def test_the_htmx_refresh_returns_the_panel_only(client, leader, day_of_queue):
    login(client, leader)
    response = client.get("/queue/live/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="queue-live"')


@pytest.mark.usefixtures("real_urls")
def test_window_staff_and_another_centres_leader_do_not_see_the_queue(client, window_staff, other_leader, centre):
    login(client, window_staff)
    assert client.get("/queue/live/").status_code == 404
    login(client, other_leader)
    assert client.get(f"/queue/live/?centre={centre.code}").status_code == 404


@pytest.mark.usefixtures("real_urls")
def test_a_city_leader_chooses_the_centre(client, city_leader, other_centre, centre, day_of_queue):
    login(client, city_leader)
    response = client.get(f"/queue/live/?centre={centre.code}")
    assert response.status_code == 200 and 'data-ticket="A009"' in response.content.decode()
    assert client.get(f"/queue/live/?centre={other_centre.code}").status_code == 200


@pytest.mark.usefixtures("real_urls")
def test_the_live_view_is_in_english_on_request(client, leader, day_of_queue):
    login(client, leader)
    client.cookies["django_language"] = "en"
    page = client.get("/queue/live/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 person has waited longer than 30 minutes." in page


@pytest.mark.usefixtures("real_urls")
def test_the_dashboard_shows_the_hour_by_window_heat_map(client, leader, day_of_queue):
    from django.urls import reverse

    login(client, leader)
    page = client.get(reverse("dashboard:dashboard"), {"start": "2026-12-01", "end": "2026-12-07"}).content.decode()
    assert 'data-testid="queue-heatmap"' in page
    assert '<th scope="row">B01</th>' in page and 'class="heat-4">3</td>' in page
    assert "style=" not in page.split('data-testid="queue-heatmap"')[1].split("</section>")[0]  # CSP: classes only
