"""Screens: the outbox for leaders and admins, one message's history, and "my notices"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access, metrics
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest

from . import selectors, services
from .models import SmsMessage

PAGE_SIZE = 50


@login_required
def sms_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.can_see_outbox(request.user):
        raise Http404
    status = request.GET.get("status", "")
    centre = request.GET.get("centre", "")
    outbox, metric = metrics.rows_for_list(
        request.GET, selectors.sms_list_for(user=request.user, status=status, centre=centre), request.user
    )
    page = Paginator(outbox, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "metric": metric,
        "messages_list": page.object_list,
        "status": status if status in SmsMessage.Status.values else "",
        "statuses": SmsMessage.Status.choices,
        "counts": selectors.sms_counts_for(user=request.user),
    }
    return render(request, "notifications/sms_list.html", context)


@login_required
def sms_detail(request: AuthenticatedHttpRequest, id: int) -> HttpResponse:  # noqa: A002
    message = selectors.sms_get_for(user=request.user, id=id)
    return render(
        request,
        "notifications/sms_detail.html",
        {"message": message, "events": message.events.select_related("actor")},
    )


@login_required
@require_POST
def sms_requeue(request: AuthenticatedHttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """A leader sends a failed message of their centre again."""
    message = selectors.sms_get_for(user=request.user, id=id)
    try:
        services.sms_requeue(message_id=message.id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已重新加入发件箱，将在下一分钟内发送（夜间顺延到 08:00）。"))
    return redirect("notifications:sms-detail", id=message.id)


@login_required
def notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.notice_list_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/notice_list.html",
        {"page": page, "notices": page.object_list, "unread": selectors.notice_unread_count(user=request.user)},
    )


@login_required
@require_POST
def notice_open(request: AuthenticatedHttpRequest, id: int) -> HttpResponse:  # noqa: A002
    """Mark one notice read and follow its link (only to this site)."""
    notice = selectors.notice_list_for(user=request.user).filter(id=id).first()
    if notice is None:
        raise Http404
    services.notice_mark_read(user=request.user, notice_id=notice.id)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notifications:notice-list")


@login_required
@require_POST
def notice_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notice_mark_read(user=request.user)
    return redirect("notifications:notice-list")
