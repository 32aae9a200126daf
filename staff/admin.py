"""Windows and staff accounts in the admin, scoped to the administrator's centre (or city).

An administrator never sees or edits a superuser's account, never one holding a role they could
not grant, and cannot make anyone a superuser; roles are given on the account's page and the
auth groups follow them (`services.staff_groups_sync`), so groups are not edited here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
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
from govservice.masking import scrub
from govservice.roles import Role

from . import workload
from .models import SsoLogin, StaffIdentity, StaffRole, User, Window
from .services import staff_deactivate, staff_groups_sync, staff_identity_link


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


class StaffIdentityForm(forms.ModelForm):
    class Meta:
        model = StaffIdentity
        fields = ["subject"]

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        # The issuer is not on the form, so Django's constraint check would skip (issuer, subject): checked
        # here, in words, without saying whose account (it may be another centre's) holds the subject.
        taken = StaffIdentity.objects.filter(issuer=settings.OIDC_OP_ISSUER, subject=subject)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("该统一身份标识已关联到另一个账号。"))
        return subject


class StaffIdentityInline(CentreScopedInline, admin.TabularInline):
    """The account's subject at the identity platform (single sign-on, staff/sso.py); shown while it is on."""

    model = StaffIdentity
    form = StaffIdentityForm
    fk_name = "user"
    extra = 1
    max_num = 1
    fields = ["subject", "linked_by", "linked_at"]
    readonly_fields = ["linked_by", "linked_at"]
    verbose_name = _("统一身份关联")
    verbose_name_plural = _("统一身份认证（单点登录）")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffIdentity]:
        # The links to the platform in use; links to an earlier issuer stay in the table, unused.
        return super().get_queryset(request).filter(issuer=settings.OIDC_OP_ISSUER)


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

    def get_inlines(self, request: HttpRequest, obj: User | None) -> Any:
        inlines = list(super().get_inlines(request, obj))
        if settings.OIDC_ENABLED:
            inlines.append(StaffIdentityInline)
        return inlines

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not StaffIdentity:
            super().save_formset(request, form, formset, change)
            return
        identities = formset.save(commit=False)
        for identity in formset.deleted_objects:
            identity.delete()
        for identity in identities:
            staff_identity_link(identity=identity, issuer=settings.OIDC_OP_ISSUER, actor=request.user)  # type: ignore[arg-type]

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


@admin.register(SsoLogin)
class SsoLoginAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """The record of sign-ins through the identity platform, read-only. A centre administrator sees their
    centre's people; refusals of a subject linked to nobody belong to no centre: city administrators see them
    (the subject to link is also shown to the person refused, who can pass it on)."""

    centre_path = "user__centre"
    list_display = ["created_at", "user", "subject_shown", "outcome", "address"]
    list_filter = ["outcome"]
    search_fields = ["subject", "user__username", "user__name"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    @admin.display(description=_("统一身份标识"), ordering="subject")
    def subject_shown(self, obj: SsoLogin) -> str:
        return scrub(obj.subject)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
