from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from govservice.admin_scoping import CentreScopedAdmin

from .models import ChannelKey, FeedEntry, HotlinePlatform, ImportBatch, WebhookDelivery, WebhookSubscription
from .services import channel_key_create, channel_key_revoke, channel_key_set_rate


@admin.register(ChannelKey)
class ChannelKeyAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "channel__centres"
    search_fields = ("prefix", "label", "channel__name")
    list_display = (
        "channel",
        "prefix",
        "label",
        "requests_per_minute",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("channel", "revoked_at")
    fields = (
        "channel",
        "label",
        "requests_per_minute",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ChannelKey | None = None) -> Any:
        # An issued key changes only its rate limit: its channel and label are what it was issued for.
        if obj is not None:
            return (*self.readonly_fields, "channel", "label")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ChannelKey, form: Any, change: bool) -> None:
        if change:
            # The rate limit alone, through the service (it drops the cached key; the admin's log keeps who).
            channel_key_set_rate(key_id=obj.pk, requests_per_minute=obj.requests_per_minute)
            return
        # Create through the service so only the hash is stored; show the key this once.
        issued = channel_key_create(
            channel=obj.channel, label=obj.label, created_by=request.user, requests_per_minute=obj.requests_per_minute
        )
        obj.pk = issued.key.pk
        obj.prefix = issued.key.prefix
        request._issued_channel_key = issued.raw_key  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: ChannelKey, post_url_continue: Any = None) -> HttpResponse:
        # Show the key in this response only: a message would park it in a cookie or the session.
        raw_key = getattr(request, "_issued_channel_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "key": obj, "raw_key": raw_key, "opts": self.opts}
        response = TemplateResponse(request, "intake/admin/key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ChannelKey]) -> None:
        for key in queryset:
            channel_key_revoke(key_id=key.pk)
        messages.success(request, _("已吊销 %(n)d 把密钥。") % {"n": queryset.count()})


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "channel__centres"
    search_fields = ("url", "channel__name")
    list_display = ("channel", "url", "is_active", "created_at")
    list_filter = ("is_active", "channel")


@admin.register(HotlinePlatform)
class HotlinePlatformAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """A 12345 platform that pushes signed work orders (intake/work_orders.py); its secret verifies them."""

    centre_path = "channel__centres"
    search_fields = ("code", "name")
    list_display = ("code", "name", "channel", "is_active", "created_at")
    list_filter = ("is_active",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "subscription__channel__centres"
    search_fields = ("subscription__url",)
    list_display = (
        "subscription",
        "entry",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(FeedEntry)
class FeedEntryAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "channel__centres"
    search_fields = ("record_id",)
    list_display = ("channel", "record_kind", "record_id", "status", "changed_at")
    list_filter = ("channel", "record_kind")
    readonly_fields = [f.name for f in FeedEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ("original_name",)
    list_display = ("original_name", "kind", "channel", "status", "imported_rows", "total_rows", "created_at")
    list_filter = ("kind", "status")
    # The uploaded file (citizens' phone numbers) is never shown or served, here neither.
    exclude = ("file",)
    readonly_fields = [f.name for f in ImportBatch._meta.fields if f.name != "file"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
