from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govservice.admin_scoping import CentreScopedAdmin, scope_by_centre

from .models import Channel, ComplaintDeadlineRule, DutySlot, DutySwap, EvaluationTag, FeedbackPolicy, OneRatingPolicy


@admin.register(Channel)
class ChannelAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "centres"
    list_display = ["code", "name", "kind", "is_active"]
    list_filter = ["kind", "is_active", "centres"]
    search_fields = ["code", "name"]
    filter_horizontal = ["centres"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # A channel several centres share: the form offers only this administrator's centres, so
        # saving it would take the channel away from the others. Keep the ones out of reach.
        kept: list[int] = []
        if change:
            centres = form.instance.centres.all()
            kept = list(
                centres.exclude(pk__in=scope_by_centre(centres, request.user, "pk")).values_list("pk", flat=True)
            )
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.centres.add(*kept)


@admin.register(EvaluationTag)
class EvaluationTagAdmin(admin.ModelAdmin):
    global_reason = "the evaluation tags follow the national 好差评 standard, the same in every centre"
    list_display = ["code", "label", "levels", "category", "order", "is_active"]
    list_editable = ["order", "is_active"]


@admin.register(FeedbackPolicy)
class FeedbackPolicyAdmin(CentreScopedAdmin, admin.ModelAdmin):
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


@admin.register(OneRatingPolicy)
class OneRatingPolicyAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """一次一评 limits per centre (complaints/one_rating.py)."""

    list_display = ["centre", "device_daily_limit", "burst_count", "burst_minutes"]


@admin.register(DutySlot)
class DutySlotAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["centre", "weekday", "half", "leader"]
    list_filter = ["centre", "weekday"]
    search_fields = ["leader__name", "leader__username"]


@admin.register(DutySwap)
class DutySwapAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["centre", "date", "half", "leader", "note"]
    list_filter = ["centre"]
    search_fields = ["leader__name", "leader__username", "note"]
    date_hierarchy = "date"


@admin.register(ComplaintDeadlineRule)
class ComplaintDeadlineRuleAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """A centre's reply times; complaints received afterwards get them (stored ones keep theirs)."""

    list_display = ["centre", "channel", "kind", "working_days"]
    list_filter = ["centre", "kind"]
    search_fields = ["channel__name", "channel__code"]
