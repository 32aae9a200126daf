from __future__ import annotations

from django.contrib import admin

from .models import Centre, Department, WorkCalendarDay, WorkCalendarYear


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "tracking_prefix"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "centre"]
    list_filter = ["centre"]
    search_fields = ["code", "name"]


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "is_complete", "source"]
    list_editable = ["is_complete"]


@admin.register(WorkCalendarDay)
class WorkCalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]
