"""Windows and staff accounts in the admin, scoped to the administrator's centre (or city).

An administrator never sees or edits a superuser's account, never one holding a role they could
not grant, and cannot make anyone a superuser; roles are given on the account's page and the
auth groups follow them (`services.staff_groups_sync`), so groups are not edited here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Field, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.admin_scoping import CentreScopedAdmin, CentreScopedInline
from govservice.exceptions import DomainError
from govservice.roles import Role

from . import workload
from .models import StaffRole, User, Window
from .services import staff_deactivate, staff_groups_sync


@admin.register(Window)
class WindowAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "centre", "department", "kind", "is_active", "qr_code"]
    list_filter = ["centre", "kind", "is_active"]
    search_fields = ["code", "name", "centre__name"]
    list_editable = ["is_active"]
    list_select_related = ["centre", "department"]
    readonly_fields = ["qr_code"]

    @admin.display(description=_("评价二维码"))
    def qr_code(self, obj: Window) -> str:
        """A link to the window's printable rating QR code, once the window is saved and active.

        The page belongs to complaints (an app above staff), so it is named by URL, not imported;
        without that app installed the column stays empty.
        """
        if obj.pk is None or not obj.is_active:
            return "-"
        try:
            url = reverse("complaints:window-qr-print", args=[obj.pk])
        except NoReverseMatch:
            return "-"
        return format_html('<a href="{}" data-testid="window-qr-link">{}</a>', url, _("打印二维码"))


class StaffRoleInline(CentreScopedInline, admin.TabularInline):
    model = StaffRole
    extra = 1

    def formfield_for_choice_field(self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role":
            # Only the roles this administrator may grant are offered, and so accepted.
            kwargs["choices"] = [
                ("", "---------"),
                *((role.value, role.label) for role in Role if access.can_grant_role(request.user, role)),
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


_SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(CentreScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "name", "staff_no", "centre", "window", "position_type", "is_active"]
    list_filter = ["centre", "position_type", "roles__role", "is_active"]
    search_fields = ["username", "name", "staff_no"]
    list_select_related = ["centre", "window"]
    inlines = [StaffRoleInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "staff_no", "mobile", "sms_opt_in", "photo")}),
        (_("岗位"), {"fields": ("centre", "department", "window", "position_type", "started_on")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "name", "centre", "password1", "password2")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        queryset = super().get_queryset(request)
        if access.can_grant_superuser(request.user):
            return queryset
        # Out of reach looks like not found: superusers, and holders of roles this administrator cannot grant.
        beyond = [role.value for role in Role if not access.can_grant_role(request.user, role)]
        return queryset.exclude(is_superuser=True).exclude(roles__role__in=beyond)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if access.can_grant_superuser(request.user):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in _SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_form(self, request: HttpRequest, obj: User | None = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user

        class AccountForm(form_class):  # type: ignore[misc,valid-type]
            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                person = self.instance
                if person.pk and _unticks_active(self) and "is_active" not in self.errors:
                    refusal = _deactivation_refusal(person, actor)
                    if refusal:
                        self.add_error("is_active", refusal)
                return cleaned

        return AccountForm

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        if not access.can_grant_superuser(request.user):
            obj.is_superuser = False  # the field is not on the form; this holds even if it were posted
        deactivating = change and _unticks_active(form)
        if deactivating:
            obj.is_active = True  # the other fields save here; leaving goes through the open-work check below
        super().save_model(request, obj, form, change)
        if deactivating:
            try:
                staff_deactivate(person=obj, actor=request.user, note=gettext("在管理后台停用"))  # type: ignore[arg-type]
            except DomainError as error:  # open work arrived since the form was checked: nothing left with nobody
                self.message_user(request, str(error), level=messages.ERROR)
            obj.refresh_from_db(fields=["is_active"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        staff_groups_sync(user_ids=[form.instance.pk])  # the roles' inline saved: bring the groups along
        form.instance.__dict__.pop("role_set", None)


def _unticks_active(form: Any) -> bool:
    """The form turns an active account inactive."""
    return bool(form.initial.get("is_active")) and form.cleaned_data.get("is_active") is False


def _deactivation_refusal(person: User, actor: Any) -> Any:
    """Why this account cannot be deactivated from the admin now (None: it can), in words next to the field."""
    if person.pk == actor.pk:
        return _("不能停用自己的账号。")
    if workload.has_open_work(person):
        url = reverse("person-work", kwargs={"person_id": person.pk}) + "?then=deactivate"
        return format_html(
            '{} <a href="{}" data-testid="admin-open-work">{}</a>',
            gettext("该人员仍有未办结的工作，须由本中心领导先转交后再停用。"),
            url,
            gettext("查看并转交其工作"),
        )
    return None
