"""The windows' rating QR codes, to print and stick on the counter."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from staff.http import AuthenticatedHttpRequest
from staff.selectors import get_in_scope, window_list_for

from ..models import Channel
from .common import _require_feedback_staff


def _rate_url(window: Any) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("complaints:rate-window", args=[window.public_id])


@login_required
def window_qr_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_feedback_staff(request)
    windows = window_list_for(user=request.user).order_by("centre__code", "code")
    has_channel = set(
        Channel.objects.filter(kind=Channel.Kind.QR_CODE, is_active=True).values_list("centres__id", flat=True)
    )
    return render(request, "complaints/window_qr_list.html", {"windows": windows, "has_channel": has_channel})


@login_required
def window_qr_svg(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    window = get_in_scope(window_list_for(user=request.user), request.user, pk=pk)
    buffer = io.BytesIO()
    segno.make(_rate_url(window), error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def window_qr_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    window = get_in_scope(window_list_for(user=request.user), request.user, pk=pk)
    return render(request, "complaints/window_qr_print.html", {"window": window, "url": _rate_url(window)})
