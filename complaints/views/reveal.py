"""The logged reveal of a citizen's full words (numbers unmasked): an htmx fragment, never a message."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest

from .. import selectors, services
from ..services.reveal import Record


def _reveal(request: AuthenticatedHttpRequest, record: Record, field: str) -> HttpResponse:
    try:
        value = services.feedback_text_reveal(record=record, viewer=request.user, field=field)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status_code)
    response = render(request, "complaints/_revealed.html", {"value": value, "field": field})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def complaint_reveal(request: AuthenticatedHttpRequest, public_id: UUID, field: str) -> HttpResponse:
    return _reveal(request, selectors.complaint_get_for(user=request.user, public_id=public_id), field)


@login_required
@require_POST
def bad_review_reveal(request: AuthenticatedHttpRequest, pk: int, field: str) -> HttpResponse:
    """The evaluation's own words, from its bad-review page."""
    evaluation = selectors.bad_review_get_for(user=request.user, pk=pk).evaluation
    return _reveal(request, evaluation, field)


@login_required
@require_POST
def escalation_reveal(request: AuthenticatedHttpRequest, public_id: UUID, field: str) -> HttpResponse:
    return _reveal(request, selectors.escalation_get_for(user=request.user, public_id=public_id), field)
