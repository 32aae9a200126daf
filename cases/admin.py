"""Admin for the matter catalogue (with materials inline and Excel import/export).

Cases are read-only here: their status moves only through services.case_transition,
so the admin cannot be a back door around the state machine.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.masking import mask_name
from staff.models import Centre
from staff.selectors import centre_list_for, scope_to_user

from .catalogue import catalogue_export, catalogue_import
from .models import ApplicantRecord, Case, CaseEvent, CaseMaterial, Material, MatterType, PiiAccess


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 1
    fields = ["order", "name", "is_core"]


class CatalogueImportForm(forms.Form):
    centre = forms.ModelChoiceField(label=_("中心"), queryset=Centre.objects.none())
    file = forms.FileField(label=_("Excel 文件 (.xlsx)"))


@admin.register(MatterType)
class MatterTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "centre",
        "department",
        "promised_days",
        "statutory_days",
        "correction_days",
        "is_active",
    ]
    list_filter = ["centre", "department", "is_active"]
    search_fields = ["code", "name"]
    inlines = [MaterialInline]
    actions = ["export_excel"]
    change_list_template = "cases/admin/mattertype_change_list.html"

    def get_queryset(self, request: HttpRequest):
        return scope_to_user(super().get_queryset(request), request.user)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="cases_mattertype_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="cases_mattertype_export"),
            *super().get_urls(),
        ]

    @admin.action(description=_("导出所选中心的事项目录（Excel）"))
    def export_excel(self, request: HttpRequest, queryset):
        centre = queryset.first().centre if queryset.exists() else request.user.centre
        return self._excel(centre)

    def _excel(self, centre: Centre) -> HttpResponse:
        response = HttpResponse(
            catalogue_export(centre=centre),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="catalogue-{centre.code}-{stamp}.xlsx"'
        return response

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            return redirect("admin:index")
        centres = centre_list_for(user=request.user)
        centre = centres.filter(code=request.GET.get("centre", "")).first() or request.user.centre or centres.first()
        if centre is None:
            messages.error(request, _("没有可导出的中心。"))
            return redirect("admin:cases_mattertype_changelist")
        return self._excel(centre)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = CatalogueImportForm(request.POST or None, request.FILES or None)
        form.fields["centre"].queryset = centre_list_for(user=request.user)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            result = catalogue_import(centre=form.cleaned_data["centre"], data=form.cleaned_data["file"].read())
            if not result.errors:
                messages.success(
                    request,
                    _("已导入 %(m)s 个事项、%(n)s 项材料。") % {"m": result.matter_types, "n": result.materials},
                )
                return redirect("admin:cases_mattertype_changelist")
            errors = result.errors
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
            "title": _("导入事项目录"),
        }
        return render(request, "cases/admin/catalogue_import.html", context)


class CaseMaterialInline(admin.TabularInline):
    model = CaseMaterial
    extra = 0
    fields = ["name", "is_core", "state", "received_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["created_at", "kind", "old_status", "new_status", "clock", "actor", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: the state machine has one door (services.case_transition)."""

    list_display = [
        "tracking_no",
        "matter_type",
        "masked_applicant",
        "status",
        "handler",
        "first_responder",
        "created_at",
    ]
    list_filter = ["centre", "status", "matter_type"]
    search_fields = ["tracking_no"]
    fields = [
        "tracking_no",
        "centre",
        "matter_type",
        "status",
        "handler",
        "first_responder",
        "masked_applicant",
        "accepted_at",
        "due_date",
        "completed_at",
    ]
    readonly_fields = fields
    inlines = [CaseMaterialInline, CaseEventInline]

    @admin.display(description=_("申请人"))
    def masked_applicant(self, obj: Case) -> str:
        return mask_name(obj.applicant_name)

    def get_queryset(self, request: HttpRequest):
        return scope_to_user(super().get_queryset(request), request.user).select_related(
            "matter_type", "handler", "first_responder"
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApplicantRecord)
class ApplicantRecordAdmin(admin.ModelAdmin):
    list_display = ["id_masked", "kind", "centre", "case", "created_at"]
    list_filter = ["centre", "kind"]
    readonly_fields = ["id_masked", "case", "created_at"]

    def get_queryset(self, request: HttpRequest):
        return scope_to_user(super().get_queryset(request), request.user)


@admin.register(PiiAccess)
class PiiAccessAdmin(admin.ModelAdmin):
    list_display = ["viewed_at", "viewer", "case", "field"]
    list_filter = ["field"]
    readonly_fields = ["viewed_at", "viewer", "case", "field"]

    def get_queryset(self, request: HttpRequest):
        return scope_to_user(super().get_queryset(request), request.user, centre_field="case__centre")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
