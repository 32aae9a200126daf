"""Reads for centres and people. Scoping by centre happens in selectors, and only there.

`scope_to_user(queryset, user)` is the one rule every app's selectors apply:
city-wide roles see every centre, everyone else sees their own centre, and a
record out of scope looks exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from govservice import access
from govservice.models import Centre, Department

from .models import Absence, Role, StaffEvent, User, Window


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


# --- absence and open work -----------------------------------------------------------------------


def person_get_for(*, user: User, person_id: int) -> User:
    """A member of staff (active or not) the user may see; out of scope is 404."""
    return get_in_scope(User.objects.select_related("centre", "window"), user, id=person_id)


def people_list_for(*, user: User) -> QuerySet[User]:
    """Everyone of the user's scope, active or not (the people page shows who left, too)."""
    return (
        scope_to_user(User.objects.all(), user)
        .select_related("centre", "window")
        .order_by("-is_active", "centre__code", "username")
    )


def absent_user_ids(*, user_ids: set[int], start: date, end: date) -> dict[int, list[tuple[date, date]]]:
    """For each of these people, their absences overlapping [start, end] (one query)."""
    found: dict[int, list[tuple[date, date]]] = {}
    rows = Absence.objects.filter(user_id__in=user_ids, starts_on__lte=end, ends_on__gte=start)
    for user_id, starts_on, ends_on in rows.values_list("user_id", "starts_on", "ends_on"):
        found.setdefault(user_id, []).append((starts_on, ends_on))
    return found


def absences_of(person: User) -> QuerySet[Absence]:
    return person.absences.select_related("created_by").order_by("-starts_on")


def staff_events_of(person: User) -> QuerySet[StaffEvent]:
    return person.staff_events.select_related("actor", "to_user").order_by("-created_at", "-id")
