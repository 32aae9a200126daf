"""Request types for the dashboard's views: behind a login the user is a staff account, never AnonymousUser.

django-stubs types `request.user` as `User | AnonymousUser`; these say what the login check guarantees,
so the views pass `request.user` to the selectors and services (which take a `User`) without a cast each.
"""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from staff.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed `login_required` (the django-stubs idiom for typed views)."""

    user: User


class AuthenticatedRequest(Request):
    """An API request that passed IsAuthenticated (the dashboard API sets it)."""

    user: User
