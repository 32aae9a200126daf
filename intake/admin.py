from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.admin_scoping import CentreScopedAdmin, SuperuserOnlyAdmin
from govservice.exceptions import DomainError
from govservice.masking import scrub

from .models import (
    ChannelKey,
    FeedEntry,
    HotlinePlatform,
    ImportBatch,
    PlatformMessage,
    PlatformReconciliation,
    WebhookDelivery,
    WebhookSubscription,
)
from .platforms.outbox import platform_message_retry
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


@admin.register(PlatformMessage)
class PlatformMessageAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """The platform outbox, read-only: rows change through the outbox's services (the retry action)."""

    search_fields = ("stream_key", "=message_id", "ack_reference")
    list_display = (
        "platform",
        "stream_key",
        "sequence",
        "kind",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "sent_at",
        "acknowledged_at",
        "failed_at",
    )
    list_filter = ("platform", "status", "kind")
    exclude = ("payload",)
    readonly_fields = [f.name for f in PlatformMessage._meta.fields if f.name != "payload"] + ["payload_masked"]
    actions = ["retry"]

    # Who may look is an access rule, not a group permission: administrators (their own centre's rows,
    # `CentreScopedAdmin`); nobody adds, edits or deletes a message here.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_see_platform_messages_in_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: PlatformMessage | None = None) -> bool:
        return access.can_see_platform_messages_in_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: PlatformMessage | None = None) -> bool:
        # The change list's actions need it; every field is read-only and the retry checks its own rule.
        return access.can_see_platform_messages_in_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PlatformMessage | None = None) -> bool:
        return False  # a deleted message would leave a hole in its stream and in the reconciliation

    @admin.display(description=_("内容"))
    def payload_masked(self, obj: PlatformMessage) -> str:
        # Phone and ID numbers masked like every other screen (the payload is what the platform got).
        return scrub(json.dumps(obj.payload, ensure_ascii=False, indent=1))

    @admin.action(description=_("重发所选的失败消息"))
    def retry(self, request: HttpRequest, queryset: QuerySet[PlatformMessage]) -> None:
        done = 0
        for message in queryset.filter(status=PlatformMessage.Status.FAILED):
            if not access.can_retry_platform_message(request.user, message.centre_id):
                continue
            try:
                platform_message_retry(message_id=message.message_id, actor=request.user)
            except DomainError:
                continue
            done += 1
        messages.success(request, _("已重新排队 %(n)d 条消息。") % {"n": done})


@admin.register(PlatformReconciliation)
class PlatformReconciliationAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    superuser_only_reason = "deployment-wide counts compared with a platform; city-wide users read them on the page"
    search_fields = ("platform",)
    list_display = ("platform", "day", "sent_count", "acknowledged_count", "platform_count", "matches", "checked_at")
    list_filter = ("platform", "matches")
    readonly_fields = [f.name for f in PlatformReconciliation._meta.fields]


# The queue devices' admin, in its own module.
from .queue import admin as queue_admin  # noqa: E402, F401
