"""The page behind the completion SMS's rating link (一事一评; no login, phone layout, zh/en).

The link rates its case once: opened again it says plainly that it was used; after 7 days, that it
expired. Floods are refused like the window QR page's (per device cookie and per address).
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from govservice.exceptions import DomainError

from . import case_rating as rating
from .forms import RateForm
from .public_views import _device_id, _over_limit, _render_form, _too_many, _with_device


def _closed(request: HttpRequest, link: rating.CaseRatingLink) -> HttpResponse:
    status = 404 if link.state == rating.UNKNOWN else 410 if link.state == rating.EXPIRED else 200
    response = render(request, "complaints/case_rating_closed.html", {"link": link}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def case_rating(request: HttpRequest, token: str) -> HttpResponse:
    link = rating.case_rating_link_state(token=token)
    if link.state != rating.OPEN:
        return _closed(request, link)
    context = {"link": link, **link.page_context()}
    device, fresh = _device_id(request)
    if request.method == "GET":
        return _with_device(_render_form(request, RateForm(allow_complaint=False), context), device, fresh)
    if _over_limit(request, device):
        return _with_device(_too_many(request), device, fresh)
    form = RateForm(request.POST, allow_complaint=False)
    if not form.is_valid():
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    try:
        rating.case_rating_submit(
            token=token,
            level=form.cleaned_data["level"],
            tags=form.cleaned_data["tags"],
            text=form.cleaned_data["text"],
        )
    except DomainError as exc:
        link = rating.case_rating_link_state(token=token)
        if link.state != rating.OPEN:  # used or expired meanwhile (a second tab, midnight)
            return _closed(request, link)
        form.add_error(None, exc.message)
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    target = reverse("complaints:rate-thanks") + "?t=" + signing.dumps({"no": "", "c": link.centre_name})
    return _with_device(redirect(target), device, fresh)
