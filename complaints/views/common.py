"""What the staff screens for feedback share: paging, history labels, running one service from a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from govservice import access
from govservice.exceptions import DomainError

from ..models import BadReview, Screening

PAGE_SIZE = 50

EVALUATION_ACTIONS = {
    "submitted": _lazy("提交评价"),
    "bad_review_opened": _lazy("差评进入处置"),
    "contacted": _lazy("已联系评价人"),
    "rectified": _lazy("整改完成"),
    "called_back": _lazy("已回访"),
    "appeal_upheld": _lazy("申诉成立，评价不计入"),
    "appeal_rejected": _lazy("申诉不成立，继续整改"),
    "reassigned": _lazy("更换责任人"),
    "follow_up": _lazy("追评"),
    # 一次一评 (complaints/one_rating.py): the rule's own labels.
    "superseded": Screening.SUPERSEDED.label,
    "burst": Screening.BURST.label,
}


def _labelled(events: Any, statuses: Any) -> list:
    """History rows with a readable label for their status change (or action)."""
    rows = list(events)
    for event in rows:
        action = getattr(event, "action", "")
        if action.startswith("verified:"):
            event.label = _("核实：%(verdict)s") % {"verdict": BadReview.Verdict(action.split(":", 1)[1]).label}
        elif action:
            event.label = EVALUATION_ACTIONS.get(action, action)
        elif event.new_status and event.new_status != event.old_status:
            event.label = statuses(event.new_status).label
        else:
            event.label = ""
    return rows


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _require_feedback_staff(request: HttpRequest) -> None:
    if not access.can_work_on_feedback(request.user):
        raise PermissionDenied


def _run(request: HttpRequest, form: Any, call: Callable[[dict], Any], success: str) -> bool:
    """Validate a form, call one service; show the outcome as a message. True when it worked."""
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
        return False
    try:
        call(form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True
