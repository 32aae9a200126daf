from __future__ import annotations

from django.contrib import admin

from .models import Channel, DutySlot, DutySwap, EvaluationTag, FeedbackPolicy


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active", "centres"]
    search_fields = ["code", "name"]
    filter_horizontal = ["centres"]


@admin.register(EvaluationTag)
class EvaluationTagAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "levels", "category", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(FeedbackPolicy)
class FeedbackPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "centre",
        "contact_days",
        "rectify_days",
        "complex_rectify_days",
        "general_escalation_days",
        "complex_escalation_days",
        "invite_period_days",
        "duplicate_window_days",
    ]


@admin.register(DutySlot)
class DutySlotAdmin(admin.ModelAdmin):
    list_display = ["centre", "weekday", "half", "leader"]
    list_filter = ["centre"]


@admin.register(DutySwap)
class DutySwapAdmin(admin.ModelAdmin):
    list_display = ["centre", "date", "half", "leader", "note"]
    list_filter = ["centre"]
