"""Admin for the matter catalogue (with materials inline and Excel import/export).

Cases are read-only here: their status moves only through services.case_transition,
so the admin cannot be a back door around the state machine.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.admin_scoping import CentreScopedAdmin, CentreScopedInline
from govservice.masking import mask_name
from govservice.models import Centre
from govservice.selectors import no_centres
from staff.http import admin_user
from staff.selectors import centre_list_for

from .catalogue import catalogue_export, catalogue_import
from .forms import model_choice_field
from .models import ApplicantRecord, Case, CaseEvent, CaseMaterial, Material, MatterType, PiiAccess


class MaterialInline(CentreScopedInline, admin.TabularInline):
    model = Material
    extra = 1
    fields = ["order", "name", "is_core"]


class CatalogueImportForm(forms.Form):
    centre = forms.ModelChoiceField(label=_("中心"), queryset=no_centres())
    file = forms.FileField(label=_("Excel 文件 (.xlsx)"))

    def __init__(self, *args: Any, centres: QuerySet[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "centre").queryset = centres


@admin.register(MatterType)
class MatterTypeAdmin(CentreScopedAdmin, admin.ModelAdmin):
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
    list_select_related = ["centre", "department"]
    inlines = [MaterialInline]
    actions = ["export_excel"]
    change_list_template = "cases/admin/mattertype_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="cases_mattertype_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="cases_mattertype_export"),
            *super().get_urls(),
        ]

    @admin.action(description=_("导出所选中心的事项目录（Excel）"))
    def export_excel(self, request: HttpRequest, queryset: QuerySet[MatterType]) -> HttpResponse | None:
        first = queryset.first()
        centre = first.centre if first is not None else admin_user(request).centre
        if centre is None:
            # an account without a centre and no rows: Django runs an action only on a non-empty selection,
            # so this guards the type; a message rather than a crash if it ever happens
            messages.error(request, _("没有可导出的中心。"))
            return None
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
        user = admin_user(request)
        centres = centre_list_for(user=user)
        centre = centres.filter(code=request.GET.get("centre", "")).first() or user.centre or centres.first()
        if centre is None:
            messages.error(request, _("没有可导出的中心。"))
            return redirect("admin:cases_mattertype_changelist")
        return self._excel(centre)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = CatalogueImportForm(
            request.POST or None, request.FILES or None, centres=centre_list_for(user=admin_user(request))
        )
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
    readonly_fields = ("name", "is_core", "state", "received_at")
    fields = readonly_fields  # all shown, none editable (a tuple: the two attributes' types differ)
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    readonly_fields = ("created_at", "kind", "old_status", "new_status", "clock", "actor", "note")
    fields = readonly_fields  # all shown, none editable (a tuple: the two attributes' types differ)
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(CentreScopedAdmin, admin.ModelAdmin):
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
    readonly_fields = (
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
    )
    fields = readonly_fields  # all shown, none editable (a tuple: the two attributes' types differ)
    inlines = [CaseMaterialInline, CaseEventInline]

    @admin.display(description=_("申请人"))
    def masked_applicant(self, obj: Case) -> str:
        return mask_name(obj.applicant_name)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return super().get_queryset(request).select_related("matter_type", "handler", "first_responder")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApplicantRecord)
class ApplicantRecordAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["id_masked", "kind", "centre", "case", "created_at"]
    list_filter = ["centre", "kind"]
    readonly_fields = ["id_masked", "case", "created_at"]
    search_fields = ["case__tracking_no"]


@admin.register(PiiAccess)
class PiiAccessAdmin(CentreScopedAdmin, admin.ModelAdmin):
    centre_path = "case__centre"
    list_display = ["viewed_at", "viewer", "case", "field"]
    list_filter = ["field"]
    readonly_fields = ["viewed_at", "viewer", "case", "field"]
    search_fields = ["case__tracking_no", "viewer__username"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
