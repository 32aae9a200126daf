"""Staff screens of intake: batch import of hotline exports and survey files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest
from staff.selectors import get_in_scope, scope_to_user

from .forms import ImportUploadForm
from .importing import (
    HOTLINE_COLUMNS,
    SURVEY_COLUMNS,
    batch_processed,
    import_batch_create,
    import_batch_retry_valid_only,
)
from .models import ImportBatch


def _require_importer(request: AuthenticatedHttpRequest) -> None:
    if not access.can_import(request.user):
        raise PermissionDenied


@login_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                batch = import_batch_create(
                    kind=form.cleaned_data["kind"],
                    channel=form.cleaned_data["channel"],
                    centre=form.cleaned_data["centre"],
                    upload=form.cleaned_data["file"],
                    valid_only=form.cleaned_data["valid_only"],
                    user=request.user,
                )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("intake:import-detail", batch_id=batch.pk)
    batches = scope_to_user(ImportBatch.objects.select_related("channel", "centre", "uploaded_by"), request.user)[:50]
    return render(
        request,
        "intake/import_list.html",
        {"form": form, "batches": batches, "hotline_columns": HOTLINE_COLUMNS, "survey_columns": SURVEY_COLUMNS},
    )


def _batch_for(request: AuthenticatedHttpRequest, batch_id: int) -> ImportBatch:
    return get_in_scope(ImportBatch.objects.select_related("channel", "centre"), request.user, pk=batch_id)


@login_required
def import_detail(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse:
    _require_importer(request)
    batch = _batch_for(request, batch_id)
    context = {"batch": batch, "processed": batch_processed(batch)}
    template = "intake/_import_status.html" if request.htmx else "intake/import_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def import_valid_rows(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse:
    _require_importer(request)
    batch = _batch_for(request, batch_id)
    try:
        with transaction.atomic():
            import_batch_retry_valid_only(batch_id=batch.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("正在导入有效行。"))
    return redirect("intake:import-detail", batch_id=batch.pk)
