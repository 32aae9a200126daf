from __future__ import annotations

from django.contrib import admin

from .models import ImportBatch, SearchMiss, SynonymGroup, Tag


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("words", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("words",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(SearchMiss)
class SearchMissAdmin(admin.ModelAdmin):
    list_display = ("query", "centre", "day", "result_count")
    list_filter = ("centre", "day")
    search_fields = ("query",)
    readonly_fields = ("centre", "user", "query", "normalized", "day", "result_count")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("file_name", "centre", "status", "created_count", "created_at")
    list_filter = ("status",)
    readonly_fields = ("errors",)
    exclude = ("file",)  # the upload is never shown or served, here neither
