"""Reads for centres and people. Scoping by centre happens in selectors, and only there.

`scope_to_user(queryset, user)` is the one rule every app's selectors apply:
city-wide roles see every centre, everyone else sees their own centre, and a
record out of scope looks exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from govservice import access
from govservice.models import Centre, Department
from govservice.roles import LEADER_ROLES
from govservice.selectors import centre_id_of, centre_list, department_list, no_centres

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
        return centre_list()
    return centre_list().filter(id=user.centre_id) if user.centre_id else no_centres()


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


def centre_leader_ids(*, centre_ids: set[int]) -> dict[int, set[int]]:
    """The active centre leaders (Role.LEADER) of each of these centres, by centre id, in one query."""
    found: dict[int, set[int]] = {centre_id: set() for centre_id in centre_ids}
    rows = User.objects.filter(is_active=True, centre_id__in=centre_ids, roles__role=Role.LEADER)
    for person_id, centre_id in rows.values_list("id", "centre_id").distinct():
        found[centre_id].add(person_id)
    return found


def city_leaders() -> QuerySet[User]:
    """The active city leaders (市级领导), whatever their centre: the level above every centre's leaders."""
    return User.objects.filter(is_active=True, roles__role=Role.CITY_LEADER).distinct()


# --- people of a centre, for other apps' forms, services and tasks (unscoped: the caller picked the centre) ---


def no_staff() -> QuerySet[User]:
    """An empty placeholder for a form field whose choices are set per request."""
    return User.objects.none()


def active_staff_of(*, centre: Centre | None = None, centre_id: int | None = None) -> QuerySet[User]:
    """The active people of one centre (by object or by id)."""
    return User.objects.filter(is_active=True, centre_id=centre_id_of(centre=centre, centre_id=centre_id))


def active_staff_with_roles(
    *, roles: tuple[str, ...], centre: Centre | None = None, centre_id: int | None = None
) -> QuerySet[User]:
    """The active people of one centre holding any of these roles (may repeat a person: add .distinct())."""
    return active_staff_of(centre=centre, centre_id=centre_id).filter(roles__role__in=roles)


def active_person_of(*, centre: Centre | None = None, centre_id: int | None = None, **lookup: object) -> User | None:
    """One active person of a centre matching the lookup (id=…, staff_no=…), or None."""
    return active_staff_of(centre=centre, centre_id=centre_id).filter(**lookup).first()


def person_by_id(person_id: int) -> User | None:
    """A person (active or not) by id, unscoped: for tasks that were handed an id."""
    return User.objects.filter(id=person_id).first()


def person_by_username(username: str) -> User | None:
    """A person (active or not) by username, unscoped: for management commands."""
    return User.objects.filter(username=username).first()


def person_get(*, person_id: int, for_update: bool = False) -> User:
    """A person by id (User.DoesNotExist if gone); `for_update` locks the row inside the caller's transaction."""
    queryset = User.objects.select_for_update() if for_update else User.objects.all()
    return queryset.get(id=person_id)


def windows_of(*, centre: Centre) -> QuerySet[Window]:
    return Window.objects.filter(centre=centre)


def window_list() -> QuerySet[Window]:
    """Every window (active or not), for `scope_to_user`."""
    return Window.objects.all()


def no_windows() -> QuerySet[Window]:
    return Window.objects.none()


def active_window_by_public_id(public_id: object) -> Window | None:
    """An active window by its public id (the citizen's QR code), with its centre; None if unknown."""
    try:
        return Window.objects.select_related("centre").filter(public_id=str(public_id), is_active=True).first()
    except (ValueError, ValidationError):
        return None


# --- for the leaders' dashboard (dashboard app) ------------------------------------------------


def window_list_by_ids(*, ids: set[int]) -> QuerySet[Window]:
    """The given windows (active or not), unscoped: the caller names windows its own scoped rows point to."""
    return Window.objects.filter(id__in=ids)


def department_list_for(*, user: User) -> QuerySet[Department]:
    return scope_to_user(department_list(), user)


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


def staff_names_of(*, centre_id: int) -> list[str]:
    """Every name a centre's staff carry, present and past (the public commitment board hides them)."""
    names = User.objects.filter(centre_id=centre_id).exclude(name="").values_list("name", flat=True)
    return sorted(set(names), key=len, reverse=True)


def active_leaders_everywhere() -> QuerySet[User]:
    """Every active leader of the deployment, centre and city (the weekly digest's readers)."""
    return User.objects.filter(is_active=True, roles__role__in=LEADER_ROLES).distinct()


def centres_with_a_centre_leader() -> QuerySet[User, Any]:
    """The centre ids that have an active centre leader (Role.LEADER), as a subquery (`centre_id__in=`)."""
    return User.objects.filter(is_active=True, roles__role=Role.LEADER, centre__isnull=False).values("centre_id")
