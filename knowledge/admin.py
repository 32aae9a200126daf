from __future__ import annotations

from django.contrib import admin

from govservice.admin_scoping import CentreScopedAdmin

from .models import ImportBatch, SearchMiss, SynonymGroup, Tag

# The Q&A base's vocabulary is shared: one synonym list and one set of categories (tags) serve
# every centre's search and filing.
SHARED_VOCABULARY = "synonyms and categories (tags) are one vocabulary for every centre's Q&A"


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    global_reason = SHARED_VOCABULARY
    list_display = ("words", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("words",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    global_reason = SHARED_VOCABULARY
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(SearchMiss)
class SearchMissAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ("query", "centre", "day", "result_count")
    list_filter = ("centre", "day")
    search_fields = ("query",)
    readonly_fields = ("centre", "user", "query", "normalized", "day", "result_count")


@admin.register(ImportBatch)
class ImportBatchAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ("file_name", "centre", "status", "created_count", "created_at")
    list_filter = ("status",)
    search_fields = ("file_name",)
    readonly_fields = ("errors",)
    exclude = ("file",)  # the upload is never shown or served, here neither
