"""The classification queue: unclassified open complaints with a suggestion each, classified one by
one or in bulk, always through a confirmation page (the first step writes nothing).

No text field is on either form, so Enter cannot send one; the decision is the confirmation page's
button. Every complaint goes through `complaint_classify` (its access rule and its history row), all
of them in one transaction: an error leaves every one as it was.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exceptions import DomainError
from rectification.models import Problem
from rectification.selectors import problems_of
from staff.http import AuthenticatedHttpRequest

from .. import selectors
from ..classify import ClassifyItem, complaints_classify_many, suggestions_for
from ..models import Complaint
from .common import _page


def _require_queue(request: AuthenticatedHttpRequest) -> None:
    if not access.can_open_classify_queue(request.user):
        raise PermissionDenied


def _problems_for(complaints: list[Complaint]) -> list[Problem]:
    centre_ids = sorted({c.centre_id for c in complaints})
    return [p for centre_id in centre_ids for p in problems_of(centre_id=centre_id)]


def _queue_page(
    request: AuthenticatedHttpRequest, *, errors: list[str] | None = None, status: int = 200
) -> HttpResponse:
    page = _page(request, selectors.unclassified_open_for(request.user))
    rows = list(page)
    problems = _problems_for(rows)
    suggestions = suggestions_for(rows, problems)
    for complaint in rows:
        complaint.suggestion = suggestions[complaint.id]
    posted = request.POST if request.method == "POST" else None
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "categories": ProblemCategory.choices,
        "problems": problems,
        "errors": errors or [],
        "checked": set(posted.getlist("ids")) if posted else set(),
        "chosen_category": posted.get("category", "") if posted else "",
        "chosen_problem": posted.get("problem", "") if posted else "",
    }
    return render(request, "complaints/classify_queue.html", context, status=status)


@login_required
def classify_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_queue(request)
    return _queue_page(request)


def _plan(request: AuthenticatedHttpRequest) -> tuple[list[tuple[Complaint, str, Problem | None]], list[str]]:
    """What the posted form asks for: (complaint, category, problem) per complaint, or the errors.

    `one=<id>`: that complaint with its own suggestion; else the ticked `ids` with the chosen
    `category` (and `problem`, optional). `item=<id>:<category>:<problem id>`: the confirmed plan."""
    queue = selectors.unclassified_open_for(request.user)
    errors: list[str] = []
    wanted: list[tuple[int, str, str]] = []
    if request.POST.get("one"):
        wanted = [(_int(request.POST["one"]), "", "")]
    elif request.POST.getlist("item"):
        for raw in request.POST.getlist("item"):
            parts = (raw.split(":") + ["", "", ""])[:3]
            wanted.append((_int(parts[0]), parts[1], parts[2]))
    else:
        chosen, chosen_problem = request.POST.get("category", ""), request.POST.get("problem", "")
        wanted = [(_int(raw), chosen, chosen_problem) for raw in request.POST.getlist("ids")]
        if not wanted:
            errors.append(_("请至少勾选一件投诉。"))
        if chosen not in ProblemCategory.values:
            errors.append(_("请选择问题类别。"))
    complaints = {c.id: c for c in queue.filter(id__in=[w[0] for w in wanted])}
    if len(complaints) != len({w[0] for w in wanted}):
        errors.append(_("部分投诉已归类、已办结或不存在，请刷新后重试。"))
    if errors:
        return [], errors
    suggestions = suggestions_for(list(complaints.values()), _problems_for(list(complaints.values())))
    plan: list[tuple[Complaint, str, Problem | None]] = []
    for complaint_id, category, problem_raw in wanted:
        complaint = complaints[complaint_id]
        if not access.can_classify_complaint(request.user, complaint):
            errors.append(_("%(no)s：您无权归类。") % {"no": complaint.tracking_no})
            continue
        if not category:  # "one": the complaint's own suggestion
            suggestion = suggestions[complaint_id]
            if not suggestion.category:
                errors.append(_("%(no)s 没有建议类别，请在详情页归类。") % {"no": complaint.tracking_no})
                continue
            plan.append((complaint, suggestion.category, suggestion.problem))
            continue
        if category not in ProblemCategory.values:
            errors.append(_("请选择问题类别。"))
            continue
        problem: Problem | None = None
        if problem_raw:
            problem = problems_of(centre_id=complaint.centre_id).filter(id=_int(problem_raw)).first()
            if problem is None:
                errors.append(_("%(no)s：所选台账问题不属于该投诉的中心。") % {"no": complaint.tracking_no})
                continue
        plan.append((complaint, category, problem))
    return plan, errors


def _int(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


@login_required
@require_POST
def classify_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1 (writes nothing): the chosen classification of each complaint, to confirm."""
    _require_queue(request)
    plan, errors = _plan(request)
    if errors:
        return _queue_page(request, errors=errors, status=400)
    items = [
        {
            "complaint": complaint,
            "category_label": ProblemCategory(category).label,
            "problem": problem,
            "value": f"{complaint.id}:{category}:{problem.id if problem else ''}",
        }
        for complaint, category, problem in plan
    ]
    return render(request, "complaints/classify_confirm.html", {"items": items})


@login_required
@require_POST
def classify_apply(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: every confirmed complaint classified in one transaction, or none."""
    _require_queue(request)
    plan, errors = _plan(request)
    if not errors and not request.POST.getlist("item"):
        errors = [_("请先确认归类。")]
    if errors:
        return _queue_page(request, errors=errors, status=400)
    try:
        done = complaints_classify_many(
            items=[ClassifyItem(c.id, category, problem) for c, category, problem in plan], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, _("未归类任何投诉：%(reason)s") % {"reason": exc.message})
        return redirect("complaints:classify-queue")
    messages.success(request, _("已归类 %(n)s 件投诉。") % {"n": len(done)})
    return redirect("complaints:classify-queue")
