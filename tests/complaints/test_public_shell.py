"""Citizens' pages carry no staff chrome (issue 17): no menu, no name, no logout, no internal footer.

Every page reachable without login is opened anonymously and by a signed-in leader on the same
device (a hall screen or a counter tablet left signed in): both get the public shell.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver

from complaints import services
from tests.factories.complaints import completed_case

pytestmark = pytest.mark.django_db

# What only the staff shell (templates/base.html) shows.
STAFF_CHROME = ('class="sidenav"', 'data-testid="current-user"', "/accounts/logout/", "数据仅限中心内部使用")


def _no_arg_paths() -> list[str]:
    """Every URL without a parameter (the API, the admin and Open311 aside: no HTML shell there)."""

    def walk(patterns: list, prefix: str = "") -> list[str]:
        found = []
        for p in patterns:
            if isinstance(p, URLResolver):
                found += walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))
        return found

    skip = ("admin/", "api/", "open311", "^", "media/")
    return ["/" + path for path in walk(get_resolver().url_patterns) if "<" not in path and not path.startswith(skip)]


def _public_pages(centre, window, window_staff) -> list[str]:
    case = completed_case(centre=centre, handler=window_staff)
    invitation = services.evaluation_invite(case=case)
    assert invitation is not None
    return [
        reverse("complaints:rate-window", args=[window.public_id]),
        reverse("complaints:rate-invitation", args=[invitation.token]),
        reverse("complaints:rate-thanks"),
        reverse("cases:progress"),
        reverse("staff:star-board", args=[centre.code]),
        reverse("board:commitments", args=[centre.code]),
        reverse("complaints:status"),
        reverse("login"),
    ]


def test_every_page_open_without_login_has_the_public_shell(centre, window, window_staff, qr_channel):
    anonymous = Client()
    opened = []
    for path in [*_no_arg_paths(), *_public_pages(centre, window, window_staff)]:
        response = anonymous.get(path)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        page = response.content.decode()
        if "<html" not in page:
            continue
        opened.append(path)
        assert [mark for mark in STAFF_CHROME if mark in page] == [], path
    assert reverse("staff:star-board", args=[centre.code]) in opened
    assert reverse("board:commitments", args=[centre.code]) in opened
    assert reverse("complaints:rate-window", args=[window.public_id]) in opened
    assert len(opened) >= 7


def test_a_signed_in_leader_on_the_hall_screen_still_gets_the_public_shell(
    client, centre, window, window_staff, qr_channel, leader
):
    pages = _public_pages(centre, window, window_staff)[:-1]  # the login page sends a signed-in user on
    client.force_login(leader)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert [mark for mark in STAFF_CHROME if mark in page] == [], path
        assert leader.username not in page and str(leader) not in page, path
        assert 'data-shell="public"' in page, path
