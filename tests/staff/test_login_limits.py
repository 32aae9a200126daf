"""Lock-out per username *and* address, a limit per address across usernames, and the idle timeout."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from govservice import idle
from tests.factories.staff import UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, OFFICE = "198.51.100.66", "203.0.113.10"


def _login(client, username, password, address):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_failures_from_elsewhere_do_not_lock_the_member_of_staff_out_of_their_own_desk(client, window_staff, password):
    for _ in range(8):
        _login(client, "staff", "wrong", ATTACKER)
    assert _login(client, "staff", password, ATTACKER).status_code == 429  # locked there
    response = _login(client, "staff", password, OFFICE)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(window_staff.pk)


def test_one_address_trying_many_usernames_is_stopped_but_others_are_not(client, settings, window_staff, password):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 10
    for n in range(10):
        assert _login(client, f"guess{n}", "Password1", ATTACKER).status_code == 200
    blocked = _login(client, "staff", password, ATTACKER)
    assert blocked.status_code == 429
    assert "此地址登录失败次数过多" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    assert _login(client, "staff", password, OFFICE).status_code == 302


def test_an_idle_member_of_staff_is_signed_out_with_a_message_on_the_login_page(
    client, settings, window_staff, password, monkeypatch
):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 30
    clock = [time.time()]
    monkeypatch.setattr(idle, "now", lambda: clock[0])
    assert _login(client, "staff", password, OFFICE).status_code == 302
    assert client.get(reverse("home")).status_code == 200
    clock[0] += 29 * 60
    assert client.get(reverse("home")).status_code == 200  # activity keeps the session alive
    clock[0] += 29 * 60
    assert client.get(reverse("home")).status_code == 200
    clock[0] += 31 * 60
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "已自动退出" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_citizens_pages_are_not_touched_by_the_idle_timeout(client, settings, monkeypatch):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 1
    clock = [time.time()]
    monkeypatch.setattr(idle, "now", lambda: clock[0])
    assert client.get(reverse("cases:progress")).status_code == 200
    clock[0] += 3600
    response = client.get(reverse("cases:progress"))
    assert response.status_code == 200
    assert idle.LAST_SEEN_KEY not in client.session


def test_sessions_last_one_working_day_at_most(settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60


def test_a_superuser_is_signed_out_when_idle_too(client, settings, monkeypatch):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 30
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    clock = [time.time()]
    monkeypatch.setattr(idle, "now", lambda: clock[0])
    client.get(reverse("home"))
    clock[0] += 31 * 60
    assert client.get(reverse("home")).status_code == 302
