"""The reconciliation page: what went to each platform per day, what failed, and a confirmed retry."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import DomainError
from govservice.outbound import public_message
from staff.http import AuthenticatedHttpRequest

from .outbox import platform_message_retry
from .reconcile import reconciliation_rows_for
from .registry import platform_codes, platform_label
from .selectors import (
    platform_daily_counts,
    platform_failed_list_for,
    platform_message_get_for,
    platform_waiting_for,
)


def _require_page(request: AuthenticatedHttpRequest) -> None:
    if not access.can_see_platform_reconciliation(request.user):
        raise PermissionDenied


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
def reconciliation(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_page(request)
    platform = request.GET.get("platform", "")
    platform = platform if platform in platform_codes() else ""
    day = _day(request.GET.get("day", ""))
    failed = platform_failed_list_for(user=request.user, platform=platform or None, day=day)
    context = {
        "days": platform_daily_counts(user=request.user),
        "waiting": platform_waiting_for(user=request.user),
        "failed": [
            {
                "message": m,
                "label": platform_label(m.platform),
                "error": public_message(m.last_error),
                "can_retry": access.can_retry_platform_message(request.user, m.centre_id),
            }
            for m in failed
        ],
        "platform": platform,
        "platform_name": platform_label(platform) if platform else "",
        "day": day,
        "extra": reconciliation_sections(request),
    }
    return render(request, "intake/platforms/reconciliation.html", context)


def reconciliation_sections(request: AuthenticatedHttpRequest) -> list[dict[str, object]]:
    """Sections a platform adds to the page (a daily comparison with its own counts)."""
    rows = reconciliation_rows_for(user=request.user)
    return [{"rows": rows}] if rows else []


@login_required
def retry(request: AuthenticatedHttpRequest, message_id: str) -> HttpResponse:
    """GET: confirm; POST with confirm=yes: send the failed message again."""
    _require_page(request)
    message = platform_message_get_for(user=request.user, message_id=message_id)
    if message is None:
        raise Http404
    if not access.can_retry_platform_message(request.user, message.centre_id):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            platform_message_retry(message_id=message.message_id, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已重新排队发送。"))
        return redirect("intake:platforms")
    context = {
        "message": message,
        "label": platform_label(message.platform),
        "error": public_message(message.last_error),
    }
    return render(request, "intake/platforms/retry_confirm.html", context)
