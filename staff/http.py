"""Typed requests for views that require sign-in: their user is a `staff.User`, never anonymous."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a `login_required` view (the django-stubs idiom): only the annotation differs,
    so mypy knows `request.user` is a signed-in `User`."""

    user: User


def signed_in_user(user: User | AnonymousUser | object) -> User:
    """The signed-in staff member of an API view behind IsAuthenticated (the API's default), which
    DRF's stubs still type as possibly anonymous. An anonymous request never gets here; if one did,
    it is refused, as IsAuthenticated would."""
    if not isinstance(user, User):
        raise PermissionDenied
    return user
