"""Reads of the core's organisation units for the other apps (they never query these models directly).

Unscoped: the caller has already decided which centre the user may see (`staff.selectors` scopes by user).
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Centre, Department


def centre_id_of(*, centre: Centre | None, centre_id: int | None) -> int:
    """The id of a centre given as an object or as an id (the selectors below accept either)."""
    if centre is not None:
        return centre.id
    if centre_id is None:
        raise TypeError("pass centre= or centre_id=")
    return centre_id


def centre_list() -> QuerySet[Centre]:
    """Every centre, for a caller that filters further (e.g. by its own reverse relation)."""
    return Centre.objects.all()


def no_centres() -> QuerySet[Centre]:
    """An empty placeholder for a form field whose choices are set per request."""
    return Centre.objects.none()


def centre_get(*, centre_id: int) -> Centre:
    """One centre by id; Centre.DoesNotExist if it is gone (a task's argument outlived its row)."""
    return Centre.objects.get(id=centre_id)


def centre_by_code(code: str) -> Centre | None:
    return Centre.objects.filter(code=code).first()


def departments_of(*, centre: Centre | None = None, centre_id: int | None = None) -> QuerySet[Department]:
    """The departments of one centre (by object or by id)."""
    return Department.objects.filter(centre_id=centre_id_of(centre=centre, centre_id=centre_id))


def no_departments() -> QuerySet[Department]:
    """An empty placeholder for a form field whose choices are set per request."""
    return Department.objects.none()


def department_list() -> QuerySet[Department]:
    """Every department, for `staff.selectors.scope_to_user`."""
    return Department.objects.all()
