"""Reads for centres and people. Scoping by centre happens in selectors, and only there.

`scope_to_user(queryset, user)` is the one rule every app's selectors apply:
city-wide roles see every centre, everyone else sees their own centre, and a
record out of scope looks exactly like one that does not exist.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from govservice import access
from govservice.models import Centre, Department

from .models import Role, User, Window


def scope_to_user[M: Model](queryset: QuerySet[M], user: User, *, centre_field: str = "centre") -> QuerySet[M]:
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if access.is_city_wide(user):
        return queryset
    if user.centre_id is None:
        return queryset.none()
    return queryset.filter(**{f"{centre_field}_id": user.centre_id})


def get_in_scope[M: Model](queryset: QuerySet[M], user: User, *, centre_field: str = "centre", **lookup: object) -> M:
    """One object the user may see, or Http404 — never a 403 that confirms it exists."""
    try:
        return scope_to_user(queryset, user, centre_field=centre_field).get(**lookup)
    except ObjectDoesNotExist as exc:  # the base of every model's DoesNotExist
        raise Http404 from exc


def centre_list_for(*, user: User) -> QuerySet[Centre]:
    if access.is_city_wide(user):
        return Centre.objects.all()
    return Centre.objects.filter(id=user.centre_id) if user.centre_id else Centre.objects.none()


def centre_get_for(*, user: User, code: str) -> Centre:
    try:
        return centre_list_for(user=user).get(code=code)
    except Centre.DoesNotExist as exc:
        raise Http404 from exc


def staff_list_for(*, user: User, role: str | None = None) -> QuerySet[User]:
    queryset = scope_to_user(User.objects.filter(is_active=True), user).select_related("centre", "window", "department")
    if role:
        queryset = queryset.filter(roles__role=role)
    return queryset.order_by("centre__code", "username")


def window_list_for(*, user: User) -> QuerySet[Window]:
    return scope_to_user(Window.objects.filter(is_active=True), user).select_related("centre", "department")


def leaders_of(centre: Centre) -> QuerySet[User]:
    return User.objects.filter(is_active=True, centre=centre, roles__role=Role.LEADER)


# --- for the leaders' dashboard (dashboard app) ------------------------------------------------


def window_list_by_ids(*, ids: set[int]) -> QuerySet[Window]:
    """The given windows (active or not), unscoped: the caller names windows its own scoped rows point to."""
    return Window.objects.filter(id__in=ids)


def department_list_for(*, user: User) -> QuerySet[Department]:
    return scope_to_user(Department.objects.all(), user)
