"""Citizen-facing pages (no login): rate a window from its QR code, or a case from an SMS link.

Floods are refused per device (a random cookie) and per IP, counted in the cache;
a personal SMS link rates its case once.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from govservice.exceptions import DomainError
from staff.selectors import active_window_by_public_id

from . import one_rating, services
from .forms import RateForm
from .models import BadReview, Channel, Evaluation, EvaluationInvitation
from .services.citizen import complaint_submit_by_citizen

DEVICE_COOKIE = "gs_rate_device"
# A device may rate a few times an hour (a family at one window); an IP more (a hall's shared NAT).
RATE_LIMIT_DEVICE = settings.COMPLAINTS_RATE_LIMIT_DEVICE
RATE_LIMIT_IP = settings.COMPLAINTS_RATE_LIMIT_IP
RATE_LIMIT_WINDOW_SECONDS = 3600


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _device_id(request: HttpRequest) -> tuple[str, bool]:
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if 16 <= len(value) <= 64 and value.isalnum():
        return value, False
    return secrets.token_hex(16), True


def _hit(key: str, limit: int) -> bool:
    """Count one attempt; True while under the limit. `add` then `incr` keeps concurrent hits honest."""
    cache.add(key, 0, RATE_LIMIT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_LIMIT_WINDOW_SECONDS)
        count = 1
    return count <= limit


def _over_limit(request: HttpRequest, device: str) -> bool:
    device_ok = _hit(f"complaints:rate:device:{device}", RATE_LIMIT_DEVICE)
    ip_ok = _hit(f"complaints:rate:ip:{_client_ip(request)}", RATE_LIMIT_IP)
    return not (device_ok and ip_ok)


def _with_device(response: HttpResponse, device: str, fresh: bool) -> HttpResponse:
    if fresh:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _render_form(request: HttpRequest, form: RateForm, context: dict, status: int = 200) -> HttpResponse:
    tags = [{"code": t.code, "label": t.label, "levels": ",".join(map(str, t.levels))} for t in form.tag_objects]
    return render(request, "complaints/rate.html", {"form": form, "tags": tags, **context}, status=status)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "complaints/rate_limited.html", status=429)
    response["Retry-After"] = str(RATE_LIMIT_WINDOW_SECONDS)
    return response


@require_http_methods(["GET", "POST"])
def rate_window(request: HttpRequest, public_id: object) -> HttpResponse:
    window = active_window_by_public_id(public_id)
    if window is None:
        raise Http404
    channel = Channel.objects.filter(kind=Channel.Kind.QR_CODE, is_active=True, centres=window.centre).first()
    if channel is None:
        raise Http404
    device, fresh = _device_id(request)
    context = {"window": window, "centre": window.centre}
    if request.method == "GET":
        return _with_device(_render_form(request, RateForm(), context), device, fresh)
    if _over_limit(request, device):
        return _with_device(_too_many(request), device, fresh)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    data = form.cleaned_data
    try:
        evaluation = services.evaluation_submit(
            centre=window.centre,
            channel=channel,
            level=data["level"],
            window=window,
            tags=data["tags"],
            text=data["text"],
            evaluator_phone=data.get("contact_phone", ""),
            device=device,
        )
        tracking_no, anonymous = "", False
        if data.get("complain"):
            complaint = complaint_submit_by_citizen(
                centre=window.centre,
                channel=channel,
                content=data["text"],
                contact_phone=data.get("contact_phone", ""),
                contact_other=data.get("contact_other", ""),
                anonymous=bool(data.get("anonymous")),
                window=window,
                evaluation=evaluation,
            )
            tracking_no, anonymous = complaint.tracking_no, complaint.is_anonymous
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    token = {"no": tracking_no, "c": window.centre.name, "o": one_rating.outcome_of(evaluation), "a": anonymous}
    target = reverse("complaints:rate-thanks") + "?t=" + signing.dumps(token)
    return _with_device(redirect(target), device, fresh)


@require_http_methods(["GET", "POST"])
def rate_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = EvaluationInvitation.objects.select_related("case__matter_type", "centre").filter(token=token).first()
    if invitation is None:
        raise Http404
    context = {"invitation": invitation, "centre": invitation.centre, "case": invitation.case}
    if invitation.used_at is not None:
        return _follow_up(request, invitation, context)
    device, fresh = _device_id(request)
    if request.method == "GET":
        return _with_device(_render_form(request, RateForm(allow_complaint=False), context), device, fresh)
    if _over_limit(request, device):
        return _with_device(_too_many(request), device, fresh)
    form = RateForm(request.POST, allow_complaint=False)
    if not form.is_valid():
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    try:
        services.evaluation_submit_by_invitation(
            token=token,
            level=form.cleaned_data["level"],
            tags=form.cleaned_data["tags"],
            text=form.cleaned_data["text"],
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    target = reverse("complaints:rate-thanks") + "?t=" + signing.dumps({"no": "", "c": invitation.centre.name})
    return _with_device(redirect(target), device, fresh)


def _follow_up(request: HttpRequest, invitation: EvaluationInvitation, context: dict) -> HttpResponse:
    """The same personal link offers the one follow-up rating (追评) once a bad review was rectified."""
    evaluation = (
        Evaluation.objects.filter(case=invitation.case, follow_up_of__isnull=True).select_related("bad_review").first()
    )
    bad_review = getattr(evaluation, "bad_review", None) if evaluation else None
    open_for_follow_up = (
        bad_review is not None
        and bad_review.status in (BadReview.Status.RECTIFIED, BadReview.Status.CLOSED)
        and not Evaluation.objects.filter(follow_up_of=evaluation).exists()
    )
    if evaluation is None or not open_for_follow_up:  # (no evaluation means no bad review: not open)
        return render(request, "complaints/rate_done.html", context)
    device, fresh = _device_id(request)
    context = {**context, "follow_up": True}
    if request.method == "GET":
        return _with_device(_render_form(request, RateForm(allow_complaint=False), context), device, fresh)
    if _over_limit(request, device):
        return _with_device(_too_many(request), device, fresh)
    form = RateForm(request.POST, allow_complaint=False)
    if not form.is_valid():
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    try:
        services.evaluation_follow_up(
            evaluation=evaluation, level=form.cleaned_data["level"], text=form.cleaned_data["text"]
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _with_device(_render_form(request, form, context, status=400), device, fresh)
    target = reverse("complaints:rate-thanks") + "?t=" + signing.dumps({"no": "", "c": invitation.centre.name})
    return _with_device(redirect(target), device, fresh)


def rate_thanks(request: HttpRequest) -> HttpResponse:
    try:
        data = signing.loads(request.GET.get("t", ""), max_age=3600)
    except signing.BadSignature:
        data = {}
    context = {
        "tracking_no": data.get("no", ""),
        "centre_name": data.get("c", ""),
        "outcome": data.get("o", ""),  # 一次一评 (complaints/one_rating.py: outcome_of)
        "anonymous": data.get("a", False),
    }
    return render(request, "complaints/rate_thanks.html", context)
