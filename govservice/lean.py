"""Middleware that only pages and signed-in staff need, skipped on the channel API.

A channel partner calls `/api/v1/intake/…` and Open311 (`/open311/…`) with a key, or not at all (public
status look-ups): it has no session, no signed-in user, no flash messages, no CSRF cookie (the views are
CSRF-exempt: a key is not ambient authority), no htmx and no idle time-out. The classes here are the
project's session, authentication, messages and htmx middleware, subclassed (so that Django's system
checks still find them) to step aside on those paths (CSRF stays Django's own, by name, for `check --deploy`;
on csrf_exempt views it returns at once): ~95 µs less per request of the ~210 µs the whole
middleware chain costs there (bench/profile_request.py; docs/benchmarks.md). `request.user` is still set
(anonymous: a channel is not a person) for any code that reads it. Every other path is unchanged;
security headers, CSP, the locale (the answer's language), the control-character guard, Axes and the
Retry-After middleware run everywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest
from django_htmx.middleware import HtmxMiddleware as DjangoHtmxMiddleware

# The channel API's path prefixes: key-authenticated or public, never a session.
CHANNEL_API_PREFIXES = ("/api/v1/intake/", "/open311/")


def is_channel_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(CHANNEL_API_PREFIXES)


class _PagesOnly:
    """Mixed in before a Django middleware class: on the channel API, straight to the next one."""

    def __call__(self, request: HttpRequest) -> Any:
        if is_channel_api(request):
            return self.get_response(request)  # type: ignore[attr-defined]  # the middleware's own
        return super().__call__(request)  # type: ignore[misc]  # the Django middleware this is mixed into


class SessionMiddleware(_PagesOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def __call__(self, request: HttpRequest) -> Any:
        if is_channel_api(request):
            request.user = AnonymousUser()
            return self.get_response(request)
        return super().__call__(request)


class MessageMiddleware(_PagesOnly, DjangoMessageMiddleware):
    pass


class HtmxMiddleware(_PagesOnly, DjangoHtmxMiddleware):
    pass
