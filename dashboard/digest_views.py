"""The weekly digest on screen, as a PDF, and the leader's e-mail opt-out."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.replica import replica_view
from staff.http import AuthenticatedHttpRequest

from .digest import BadWeek, build_digest, last_full_week, parse_week, week_label
from .digest_output import NoCJKFont, digest_pdf
from .models import DigestOptOut


def _monday(request: AuthenticatedHttpRequest) -> tuple[date, str]:
    """The week asked for (?week=2026-W49), else last week; and an error to show beside the field."""
    text = request.GET.get("week", "").strip()
    if not text:
        return last_full_week(), ""
    try:
        return parse_week(text), ""
    except BadWeek as exc:
        return last_full_week(), str(exc)


@login_required
@replica_view
def digest_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.has_management_role(request.user):
        raise Http404
    monday, error = _monday(request)
    digest = build_digest(leader=request.user, monday=monday)
    context = {
        "digest": digest,
        "week_error": error,
        "week_value": request.GET.get("week", "") if error else digest.week,
        "previous_week": week_label(digest.monday - timedelta(days=7)),
        "next_week": week_label(digest.monday + timedelta(days=7)),
        "is_last_week": digest.monday >= last_full_week(),
        "opted_out": DigestOptOut.objects.filter(user=request.user).exists(),
        "receives_email": access.is_leader(request.user) and bool(request.user.email),
    }
    return render(request, "dashboard/digest.html", context)


@login_required
@replica_view
def digest_pdf_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.has_management_role(request.user):
        raise Http404
    monday, error = _monday(request)
    if error:
        messages.error(request, error)
        return redirect("dashboard:digest")
    digest = build_digest(leader=request.user, monday=monday)
    try:
        content = digest_pdf(digest)
    except NoCJKFont:
        messages.error(request, _("服务器未安装中文字体，无法生成 PDF；请使用网页版或浏览器打印。"))
        return redirect(f"{reverse('dashboard:digest')}?week={digest.week}")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="digest-{digest.week}.pdf"'
    return response


@login_required
@require_POST
def digest_subscription(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A leader stops or resumes the Monday e-mail; the page itself stays."""
    if not access.is_leader(request.user):
        raise Http404
    if request.POST.get("email") == "off":
        DigestOptOut.objects.get_or_create(user=request.user)
        messages.success(request, _("已退订每周简报邮件。"))
    else:
        DigestOptOut.objects.filter(user=request.user).delete()
        messages.success(request, _("每周一 8:00 将把上周简报发送到您的邮箱。"))
    return redirect("dashboard:digest")
