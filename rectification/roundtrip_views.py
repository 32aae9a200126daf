"""The ledger import's confirmation: the uploader applies the previewed changes (an explicit step)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest

from . import services


@login_required
@require_POST
def ledger_import_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not access.has_management_role(request.user):
        raise Http404
    try:
        with transaction.atomic():
            services.ledger_import_confirm(import_id=pk, actor=request.user)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.message)
    return redirect("rectification:ledger-import-status", pk=pk)
