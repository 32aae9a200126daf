"""The admin of queue devices and a centre's queue settings, for the centre's administrator (scoped by centre)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.admin_scoping import CentreScopedAdmin

from .models import QueueDevice, QueueSettings
from .services import queue_device_create, queue_device_revoke, queue_settings_set


def _own_centre(request: HttpRequest, obj: QueueDevice | QueueSettings) -> None:
    """A centre administrator's new row is their own centre's, whatever the form said (as CentreScopedAdmin)."""
    if not access.admin_sees_every_centre(request.user):
        centre_id = getattr(request.user, "centre_id", None)
        if centre_id is not None:
            obj.centre_id = centre_id


@admin.register(QueueDevice)
class QueueDeviceAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ("name", "prefix")
    list_display = ("name", "centre", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("centre", "revoked_at")
    fields = ("centre", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: QueueDevice | None = None) -> Any:
        # An issued key stays with the centre it was issued for; a new name is all that changes.
        if obj is not None:
            return (*self.readonly_fields, "centre")
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: its events point at it

    def save_model(self, request: HttpRequest, obj: QueueDevice, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        _own_centre(request, obj)
        # Through the service, so only the hash is stored; the key is shown this once.
        issued = queue_device_create(centre=obj.centre, name=obj.name, created_by=request.user)
        obj.pk = issued.device.pk
        obj.prefix = issued.device.prefix
        request._issued_queue_key = issued.raw_key  # type: ignore[attr-defined]

    def response_add(self, request: HttpRequest, obj: QueueDevice, post_url_continue: Any = None) -> HttpResponse:
        raw_key = getattr(request, "_issued_queue_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "device": obj, "raw_key": raw_key, "opts": self.opts}
        response = TemplateResponse(request, "intake/admin/queue_device_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("吊销所选设备的密钥"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[QueueDevice]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        for device_id in ids:
            device = queue_device_revoke(device_id=device_id)
            self.log_change(request, device, [{"changed": {"fields": ["revoked_at"]}}])  # who revoked, in the admin log
        messages.success(request, _("已吊销 %(n)d 台设备的密钥。") % {"n": len(ids)})


@admin.register(QueueSettings)
class QueueSettingsAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ("centre__name",)
    list_display = ("centre", "wait_alert_minutes", "updated_by", "updated_at")
    fields = ("centre", "wait_alert_minutes", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: QueueSettings | None = None) -> Any:
        if obj is not None:
            return (*self.readonly_fields, "centre")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: QueueSettings, form: Any, change: bool) -> None:
        _own_centre(request, obj)
        saved = queue_settings_set(centre=obj.centre, wait_alert_minutes=obj.wait_alert_minutes, actor=request.user)
        obj.pk = saved.pk
