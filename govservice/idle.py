"""Staff sessions end after a spell without a request (STAFF_IDLE_TIMEOUT_MINUTES).

A staff PC left signed in at a public counter must not stay usable for the session's whole life. The time
of the last request is kept in the session, written at most once a minute (a session write per request
would cost a database write on every page). Only signed-in users are concerned: citizens' pages (rating,
progress look-up) have no login and are never touched. The login page then says why (a message).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from govservice.lean import is_channel_api

LAST_SEEN_KEY = "_govservice_last_seen"
# The stored time is refreshed when it is older than this: the timeout is exact to within a minute.
REFRESH_SECONDS = 60


def now() -> float:
    """The clock of the idle timeout (seconds; a function, so that tests can move it)."""
    return time.time()


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver: the clock starts at login (saved with the login's session, so the first
    page after it writes nothing more)."""
    request.session[LAST_SEEN_KEY] = now()


def idle_timeout_seconds() -> int:
    return settings.STAFF_IDLE_TIMEOUT_MINUTES * 60


class IdleTimeoutMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware: sign out a user idle for longer than the timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Nobody is signed in without a session cookie (the channel API, the bench, a citizen's first page): no
        # session or user to load. The channel API has no session at all (govservice/lean.py).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or is_channel_api(request):
            return self.get_response(request)
        timeout = idle_timeout_seconds()
        if timeout > 0 and request.user.is_authenticated:
            current = now()
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, (int, float)) and current - last_seen > timeout:
                logout(request)  # a new, empty session: the request goes on as an anonymous one
                if not request.path.startswith("/api/"):
                    messages.info(
                        request,
                        _("您已超过 %(minutes)d 分钟未操作，为保护数据已自动退出，请重新登录。")
                        % {"minutes": settings.STAFF_IDLE_TIMEOUT_MINUTES},
                    )
            elif not isinstance(last_seen, (int, float)) or current - last_seen >= REFRESH_SECONDS:
                request.session[LAST_SEEN_KEY] = current
        return self.get_response(request)
