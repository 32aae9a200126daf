"""The Django admin, scoped by centre: one mixin for every ModelAdmin that holds a centre's rows.

A centre administrator sees, chooses and saves the rows of their own centre only; a city
administrator (and a superuser) those of every centre (`access.admin_sees_every_centre`). Scoped
here, for every admin alike:

- the change list and every object URL (`get_queryset`; an id of another centre typed into a URL
  is a 404, as if it did not exist),
- the choices of every foreign key and many-to-many field (a related model whose admin is scoped
  is offered through that admin's scope; `Centre` through the user's own),
- the list filters (only values that occur in the scoped rows: no other centre's names),
- a new row's centre (`save_model` sets the administrator's own).

Every ModelAdmin registered on `admin.site` is either a `CentreScopedAdmin`, or says why not with
`global_reason` (deployment-wide data, the same for every centre) or is a `SuperuserOnlyAdmin`;
tests/govservice/test_admin_scoping.py fails on one that does neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest

from . import access
from .choices import label_with_centre
from .models import Centre

if TYPE_CHECKING:
    _FieldsBase = BaseModelAdmin[Any]
    _ModelBase = admin.ModelAdmin[Any]
else:
    _FieldsBase = object
    _ModelBase = object


def _is_multivalued(model: type[Model], path: str) -> bool:
    """Whether the ORM path crosses a to-many relation (then a filter on it can repeat rows)."""
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        model = field.related_model
    return False


def scope_by_centre[M: Model](queryset: QuerySet[M], user: Any, centre_path: str) -> QuerySet[M]:
    """The rows of `queryset` whose centre (reached through `centre_path`) the user administers."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if access.admin_sees_every_centre(user):
        return queryset
    centre_id = getattr(user, "centre_id", None)
    if centre_id is None:
        return queryset.none()
    if centre_path == "pk":
        return queryset.filter(pk=centre_id)
    if _is_multivalued(queryset.model, centre_path):
        matching = queryset.model._default_manager.filter(**{centre_path: centre_id}).values("pk")
        return queryset.filter(pk__in=matching)
    return queryset.filter(**{centre_path: centre_id})


def _has_centre_fk(model: type[Model]) -> bool:
    try:
        field = model._meta.get_field("centre")
    except FieldDoesNotExist:
        return False
    return isinstance(field, ForeignKey) and field.related_model is Centre


class _RelatedScoping(_FieldsBase):
    """Choices of relation fields, scoped; shared by scoped model admins and their inlines."""

    def _scoped_related(self, model: type[Model], request: HttpRequest, queryset: QuerySet[Any] | None) -> Any:
        queryset = queryset if queryset is not None else model._default_manager.all()
        if model is Centre:
            return scope_by_centre(queryset, request.user, "pk")
        related_admin = self.admin_site._registry.get(model)
        if isinstance(related_admin, CentreScopedAdmin):
            queryset = scope_by_centre(queryset, request.user, related_admin.centre_path)
        if _has_centre_fk(model):
            queryset = queryset.select_related("centre")
        return queryset

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        model = db_field.related_model
        kwargs["queryset"] = self._scoped_related(model, request, kwargs.get("queryset"))
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and _has_centre_fk(model):
            field.label_from_instance = label_with_centre  # type: ignore[method-assign]
        return field

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField | None:
        model = db_field.related_model
        kwargs["queryset"] = self._scoped_related(model, request, kwargs.get("queryset"))
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and _has_centre_fk(model):
            field.label_from_instance = label_with_centre  # type: ignore[method-assign]
        return field


class CentreScopedAdmin(_RelatedScoping, _ModelBase):
    """Mix in before `admin.ModelAdmin`; set `centre_path` when the centre is not the `centre` field
    (e.g. "case__centre", "channel__centres", "pk" for Centre itself)."""

    centre_path: ClassVar[str] = "centre"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_by_centre(super().get_queryset(request), request.user, self.centre_path)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # Django's admin answers a missing object with a redirect and "may have been deleted",
        # which tells another centre's id apart from a wrong one: out of scope is plain not found.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A relation filter lists every row of the related table (every centre, every department);
        # offer only the values that occur in the rows this administrator sees.
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and LOOKUP_SEP not in entry:
                try:
                    field = self.model._meta.get_field(entry)
                except FieldDoesNotExist:
                    field = None
                if field is not None and field.is_relation:
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if self.centre_path == "centre" and not access.admin_sees_every_centre(request.user):
            obj.centre_id = getattr(request.user, "centre_id", None)
        super().save_model(request, obj, form, change)


class CentreScopedInline(_RelatedScoping):
    """Mix in before an inline class: its relation fields' choices are scoped like its parent's."""


class SuperuserOnlyAdmin(_ModelBase):
    """An admin for superusers only (accounts' security data, the project's own machinery)."""

    superuser_only_reason: ClassVar[str] = ""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and super().has_delete_permission(request, obj)


def scoping_of(model_admin: BaseModelAdmin[Any]) -> str:
    """How a registered admin is scoped, or "" when it says nothing (the test's question)."""
    if isinstance(model_admin, CentreScopedAdmin):
        return f"centre:{model_admin.centre_path}"
    if isinstance(model_admin, SuperuserOnlyAdmin) and model_admin.superuser_only_reason:
        return "superuser-only"
    if getattr(model_admin, "global_reason", ""):
        return "global"
    return ""
