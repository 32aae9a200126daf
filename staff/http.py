"""Request types for views behind a login: there the user is a staff account, never AnonymousUser.

django-stubs types `request.user` as `User | AnonymousUser`; these say what the login check guarantees,
so views pass `request.user` to selectors and services (which take a `User`) without a cast each.
One definition for every app (staff owns the accounts).
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed `login_required` (the django-stubs idiom for typed views)."""

    user: User
    htmx: HtmxDetails  # set by django_htmx's middleware on every request


class AuthenticatedRequest(Request):
    """An API request that passed IsAuthenticated (DRF's default permission, settings.REST_FRAMEWORK)."""

    user: User


def admin_user(request: HttpRequest) -> User:
    """The user of an admin-site request. ModelAdmin's hooks take a plain HttpRequest, so the type cannot
    be narrowed there; the cast is safe because AdminSite.has_permission lets in only active staff accounts."""
    return cast(User, request.user)


def signed_in_user(user: User | AnonymousUser | object) -> User:
    """The signed-in staff member of an API view behind IsAuthenticated (the API's default), which
    DRF's stubs still type as possibly anonymous. An anonymous request never gets here; if one did,
    it is refused, as IsAuthenticated would."""
    if not isinstance(user, User):
        raise PermissionDenied
    return user
