"""Admin for staff development: scoring schemes (validated), inputs, training, mentors, role-swap."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import ForeignKey, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from govservice.admin_scoping import CentreScopedAdmin, CentreScopedInline
from staff.http import signed_in_user

from .models import (
    Appraisal,
    Attendance,
    Dimension,
    FollowUp,
    Indicator,
    ManualEntry,
    MentorDuty,
    MentorPairing,
    ReminderTalk,
    ReminderTalkEvent,
    RoleSwapFinding,
    RoleSwapPlan,
    RoleSwapReport,
    ScoreAppeal,
    ScoringRun,
    ScoringScheme,
    SpotCheck,
    StaffLeave,
    TrainingEnrolment,
    TrainingPlan,
    TrainingSession,
)
from .scoring import scheme_errors


class IndicatorInlineFormSet(forms.BaseInlineFormSet):
    """Weights must add up to 100 and every indicator needs a source, checked across the whole scheme."""

    def clean(self) -> None:
        super().clean()
        total = 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE") or not form.cleaned_data:
                continue
            if not form.cleaned_data.get("source"):
                raise forms.ValidationError(_("每个指标都必须有数据来源。"))
            total += form.cleaned_data.get("weight") or 0
        if total != 100:
            raise forms.ValidationError(_("指标权重合计为 %(total)s，应为 100。") % {"total": total})
        if self.instance.pk and self.instance.is_frozen and self.has_changed():
            raise forms.ValidationError(_("该方案已用于锁定的月份，不能再修改；请新建一个版本。"))


class IndicatorInline(CentreScopedInline, admin.TabularInline):
    model = Indicator
    formset = IndicatorInlineFormSet
    extra = 0
    fields = [
        "dimension",
        "code",
        "name",
        "source",
        "metric",
        "formula",
        "threshold",
        "target",
        "lower_is_better",
        "per_unit",
        "weight",
        "normalise_by_volume",
        "complaint_category",
        "order",
    ]

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField | None:
        if db_field.name == "dimension":
            match = request.resolver_match
            scheme_id = match.kwargs.get("object_id") if match is not None else None
            kwargs["queryset"] = (
                Dimension.objects.filter(scheme_id=scheme_id) if scheme_id else Dimension.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DimensionInline(CentreScopedInline, admin.TabularInline):
    model = Dimension
    extra = 0


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = [
        "name",
        "centre",
        "valid_from",
        "min_evaluations",
        "star_share",
        "bottom_share",
        "bottom_min_headcount",
        "tie_rule",
    ]
    list_filter = ["centre"]
    search_fields = ["name"]
    inlines = [DimensionInline, IndicatorInline]

    actions = ["new_version_next_month"]

    @admin.action(description=_("复制为下月起用的新版本"))
    def new_version_next_month(self, request: HttpRequest, queryset: QuerySet[ScoringScheme]) -> None:
        from django.utils import timezone

        from govservice.exceptions import DomainError

        from .models import month_start, next_month
        from .scoring import scheme_new_version

        start = next_month(month_start(timezone.localdate()))
        for scheme in queryset:
            try:
                new = scheme_new_version(scheme=scheme, valid_from=start, actor=signed_in_user(request.user))
                messages.success(request, _("已建立新版本：%(scheme)s") % {"scheme": new})
            except DomainError as exc:
                messages.error(request, exc.message)

    # The published rules of a version a locked month was ranked with; a change goes into a new version.
    FROZEN_RULES = (
        "valid_from",
        "min_evaluations",
        "star_share",
        "bottom_share",
        "bottom_min_headcount",
        "tie_rule",
        "talk_working_days",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_frozen:
            readonly += [name for name in self.FROZEN_RULES if name not in readonly]
        return readonly

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        for problem in scheme_errors(form.instance):
            messages.warning(request, problem)


@admin.register(SpotCheck)
class SpotCheckAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "staff__username"]
    list_display = ["checked_at", "staff", "response_seconds", "etiquette_score", "notification_correct", "inspector"]
    list_filter = ["centre"]
    raw_id_fields = ["staff", "inspector"]


@admin.register(ManualEntry)
class ManualEntryAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "staff__username"]
    list_display = ["month", "staff", "indicator_code", "value", "author"]
    list_filter = ["centre", "month"]
    raw_id_fields = ["staff", "author"]


@admin.register(ScoringRun)
class ScoringRunAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["scheme__name"]
    list_display = ["centre", "month", "status", "scheme", "staff_count", "ranked_count", "computed_at"]
    list_filter = ["centre", "status"]
    readonly_fields = [f.name for f in ScoringRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScoreAppeal)
class ScoreAppealAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "staff__username"]
    list_display = ["month", "staff", "indicator_code", "status", "decided_by"]
    list_filter = ["centre", "status"]
    readonly_fields = ["staff", "month", "reason", "status", "decided_by", "decided_at"]


@admin.register(FollowUp)
class FollowUpAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "staff__username"]
    list_display = ["month", "staff", "kind", "assignee", "due_date", "status"]
    list_filter = ["centre", "status", "kind"]


@admin.register(Appraisal)
class AppraisalAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "staff__centre"
    search_fields = ["staff__name", "staff__username"]
    list_display = ["staff", "year", "grade"]
    list_filter = ["year", "grade"]
    raw_id_fields = ["staff"]


@admin.register(TrainingPlan)
class TrainingPlanAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["session_type", "band"]
    list_display = [
        "year",
        "centre",
        "session_type",
        "position_type",
        "band",
        "planned_sessions",
        "planned_attendances",
    ]
    list_filter = ["centre", "year", "session_type"]


class AttendanceInline(CentreScopedInline, admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["staff"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["topic", "trainer"]
    list_display = ["held_on", "topic", "session_type", "trainer", "position_type", "band", "centre"]
    list_filter = ["centre", "session_type"]
    inlines = [AttendanceInline]


@admin.register(MentorPairing)
class MentorPairingAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["mentor__name", "mentee__name"]
    list_display = ["mentor", "mentee", "slot", "reason", "started_on", "ended_on", "independent_on"]
    list_filter = ["centre"]
    raw_id_fields = ["mentor", "mentee"]


@admin.register(MentorDuty)
class MentorDutyAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "pairing__centre"
    search_fields = ["pairing__mentor__name", "pairing__mentee__name"]
    list_display = ["pairing", "kind", "done_on"]
    list_filter = ["kind"]


@admin.register(RoleSwapPlan)
class RoleSwapPlanAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "matter"]
    list_display = ["year", "quarter", "staff", "matter", "planned_on", "centre"]
    list_filter = ["centre", "year", "quarter"]
    raw_id_fields = ["staff"]


class RoleSwapFindingInline(CentreScopedInline, admin.TabularInline):
    model = RoleSwapFinding
    extra = 0
    readonly_fields = ["problem"]


@admin.register(RoleSwapReport)
class RoleSwapReportAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "plan__centre"
    search_fields = ["plan__staff__name", "plan__matter"]
    list_filter = ["done_on"]
    list_display = ["plan", "done_on", "minutes_taken"]
    inlines = [RoleSwapFindingInline]


class StaffLeaveForm(forms.ModelForm):
    """Leave in a month not yet locked, for a member of the row's centre; the month is its first day."""

    class Meta:
        model = StaffLeave
        fields = ["staff", "month", "days", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        month, staff = data.get("month"), data.get("staff")
        if month is not None:
            from .models import month_start
            from .scoring.locks import scores_locked

            data["month"] = self.instance.month = month_start(month)
            centre_id = staff.centre_id if staff is not None else None
            if staff is not None and centre_id is None:
                self.add_error("staff", _("该人员不属于任何中心。"))
            if centre_id is not None and scores_locked(centre_id, data["month"]):
                self.add_error("month", _("该月评分已锁定，休假天数不能再改；请通过评分申诉更正。"))
        days = data.get("days")
        if days is not None and days > 31:
            self.add_error("days", _("休假天数不能超过一个月的天数。"))
        return data


@admin.register(StaffLeave)
class StaffLeaveAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """Days of leave (entered by the administrator) pro-rate the volume targets of the month's score."""

    form = StaffLeaveForm
    search_fields = ["staff__name", "staff__username"]
    list_display = ["month", "staff", "days", "reason", "entered_by"]
    list_filter = ["centre", "month"]
    readonly_fields = ["entered_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.centre_id = obj.staff.centre_id  # the staff choices are scoped to the administrator's centres
        obj.entered_by = signed_in_user(request.user)
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        from django.utils.translation import gettext as _now

        from .scoring import scoring_month_refresh

        scoring_month_refresh(centre_id=obj.centre_id, month=obj.month, note=_now("休假天数变更"))


class ReminderTalkEventInline(CentreScopedInline, admin.TabularInline):
    model = ReminderTalkEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "actor", "old_status", "new_status", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReminderTalk)
class ReminderTalkAdmin(CentreScopedAdmin, admin.ModelAdmin):
    """Read-only here: talks are raised by a locked month and recorded by the leader on the scores page."""

    search_fields = ["staff__name", "staff__username"]
    list_display = ["month", "staff", "leader", "due_date", "status", "done_at"]
    list_filter = ["centre", "status"]
    readonly_fields = ["centre", "staff", "month", "leader", "due_date", "status", "done_at", "notes"]
    inlines = [ReminderTalkEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TrainingEnrolment)
class TrainingEnrolmentAdmin(CentreScopedAdmin, admin.ModelAdmin):
    search_fields = ["staff__name", "staff__username"]
    list_display = ["staff", "follow_up", "session", "status"]
    list_filter = ["centre", "status"]
    readonly_fields = ["centre", "staff", "follow_up", "status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
