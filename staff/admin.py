from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import StaffRole, User, Window


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "centre", "department", "kind", "is_active"]
    list_filter = ["centre", "kind", "is_active"]
    search_fields = ["code", "name"]
    list_editable = ["is_active"]


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 1


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "name", "staff_no", "centre", "window", "position_type", "is_active"]
    list_filter = ["centre", "position_type", "roles__role", "is_active"]
    search_fields = ["username", "name", "staff_no"]
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
