"""The leader's inbox page (待我决定) and its in-place decisions, with htmx or plain form posts.

A decision takes two posts: the first validates and shows "confirm: <what will happen>" with Confirm and
Cancel; only the second (with `confirm`) calls the owning app's service. With htmx the row is swapped in
place and, once decided, removed while the menu badge and the page's count are replaced out of band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import selectors as complaints_selectors
from complaints import services as complaints_services
from development import scoring
from development import selectors as development_selectors
from govservice import access, metrics
from govservice.exceptions import DomainError
from govservice.workdays import WorkCalendar
from rectification import selectors as rectification_selectors
from rectification import services as rectification_services
from staff.http import AuthenticatedHttpRequest
from staff.models import User

from .forms import AppealDecideForm, CloseOutDecideForm, DecisionForm, ExtensionDecideForm
from .items import (
    InboxItem,
    Kind,
    appeal_item,
    close_out_item,
    extension_item,
    forget_count,
    inbox_count_cached,
    inbox_for,
)


@dataclass
class Row:
    item: InboxItem
    form: DecisionForm | None = None
    confirming: bool = False
    what: str = ""


def _form_class(kind: str) -> type[DecisionForm]:
    if kind == Kind.EXTENSION:
        return ExtensionDecideForm
    return AppealDecideForm if kind == Kind.APPEAL else CloseOutDecideForm


def _load(user: User, kind: str, pk: int) -> tuple[Any, InboxItem]:
    """The object behind a decidable item, in the user's scope (else 404), and its inbox row."""
    calendar = WorkCalendar.load()
    if kind == Kind.APPEAL:
        appeal = development_selectors.appeal_get_for(user=user, appeal_id=pk)
        return appeal, appeal_item(appeal, calendar)
    if kind == Kind.CLOSE_OUT:
        problem = rectification_selectors.problem_get_for(user=user, problem_id=pk)
        return problem, close_out_item(problem, calendar)
    if kind == Kind.EXTENSION:
        order = complaints_selectors.work_order_extension_get_for(user=user, work_order_id=pk)
        return order, extension_item(order)
    raise Http404


def _page(request: AuthenticatedHttpRequest, replaced: Row | None = None, status: int = 200) -> HttpResponse:
    items = inbox_for(user=request.user)
    # Opened from the appeals_pending figure: only the rows it counts (govservice.metrics).
    figure = metrics.requested(request.GET)
    if figure is not None:
        if figure.name.partition("@")[0] != "appeals_pending":
            raise Http404
        counted = {appeal.id for appeal in figure.queryset(request.user)}
        items = [i for i in items if i.kind == Kind.APPEAL and i.obj_id in counted]
    rows = []
    for item in items:
        if replaced is not None and item.key == replaced.item.key:
            rows.append(replaced)
        else:
            rows.append(Row(item, _form_class(item.kind)(obj=None) if item.decided_here else None))
    context = {
        "rows": rows,
        "count": len(rows),
        "overdue": sum(1 for row in rows if row.item.is_overdue),
        "metric": figure,
    }
    return render(request, "dashboard/inbox/inbox.html", context, status=status)


@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.is_leader(request.user):
        raise Http404
    return _page(request)


@login_required
def inbox_badge(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The menu badge, which the menu loads after the page (htmx)."""
    count = inbox_count_cached(request.user) if access.is_leader(request.user) else 0
    return render(request, "dashboard/inbox/_badge.html", {"count": count})


def _decide(user: User, kind: str, obj: Any, form: DecisionForm) -> None:
    data = form.cleaned_data
    if kind == Kind.APPEAL:
        scoring.score_appeal_decide(
            appeal_id=obj.id,
            actor=user,
            upheld=data["choice"] == AppealDecideForm.UPHOLD,
            decision=data["reason"],
            corrected_value=data.get("corrected_value"),
        )
    elif isinstance(form, ExtensionDecideForm):
        complaints_services.work_order_transition(
            work_order_id=obj.id, action=form.action, actor=user, note=data["reason"]
        )
    elif isinstance(form, CloseOutDecideForm):
        rectification_services.problem_transition(problem_id=obj.id, to=form.to, actor=user, note=data["reason"])


@login_required
@require_POST
def inbox_decide(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    user = request.user
    if not access.is_leader(user):
        raise Http404
    obj, item = _load(user, kind, pk)
    form_class = _form_class(kind)
    row = Row(item)
    if request.POST.get("cancel"):
        # Back to the choice, with what was typed kept.
        row.form = form_class(initial=request.POST.dict(), obj=obj)
    else:
        form = form_class(request.POST, obj=obj)
        row.form = form
        if form.is_valid():
            if form.cleaned_data["confirm"]:
                try:
                    _decide(user, kind, obj, form)
                except DomainError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    return _decided(request, item, form)
            else:
                row.confirming, row.what = True, form.what()
    if request.htmx:
        return render(request, "dashboard/inbox/_row.html", {"row": row})
    return _page(request, replaced=row)


def _decided(request: AuthenticatedHttpRequest, item: InboxItem, form: DecisionForm) -> HttpResponse:
    forget_count(request.user)
    done = _("已处理：%(item)s（%(choice)s）") % {"item": item.title, "choice": form.choice_label}
    if not request.htmx:
        messages.success(request, done)
        return redirect("dashboard:inbox")
    count = inbox_count_cached(request.user)
    # The row's own swap gets nothing (it disappears); the badge, the count and the notice go out of band.
    return render(request, "dashboard/inbox/_decided.html", {"count": count, "done": done})
