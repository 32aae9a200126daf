from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from .admin_scoping import CentreScopedAdmin, CentreScopedInline, SuperuserOnlyAdmin
from .models import Centre, Department, WorkCalendarDay, WorkCalendarYear


class DepartmentInline(CentreScopedInline, admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Centre)
class CentreAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "pk"
    list_display = ["code", "name", "level", "parent", "tracking_prefix"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "centre"]
    list_filter = ["centre"]
    search_fields = ["code", "name", "centre__name"]
    list_select_related = ["centre"]


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(admin.ModelAdmin):
    global_reason = "public holidays and make-up days are set nationally: one calendar for every centre"
    list_display = ["year", "is_complete", "source"]
    list_editable = ["is_complete"]
    search_fields = ["year", "source"]


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    global_reason = "public holidays and make-up days are set nationally: one calendar for every centre"
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]


# Groups stand for roles and are kept by code (govservice.groups), and the lock-out records of
# django-axes concern every account: both for superusers only, re-registered with that rule.
for _model, _base in (
    (Group, GroupAdmin),
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(
        _model,
        type(
            f"SuperuserOnly{_base.__name__}",
            (SuperuserOnlyAdmin, _base),
            {
                "superuser_only_reason": "role groups are kept by code; lock-outs concern every account",
                "__module__": __name__,
            },
        ),
    )
