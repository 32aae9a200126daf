"""The complaint page's 12345 work-order part: its clock, its history and a button for each step the user
may take, each confirmed before it is taken (a first post only asks; Enter never decides)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest
from staff.models import User

from .. import selectors, services
from ..forms import WorkOrderStepForm
from ..models import Complaint, WorkOrder
from ..work_order_clock import stage_clock
from ..work_orders_text import work_order_step_summary

STAFF_STEPS = (
    WorkOrder.Action.SIGN,
    WorkOrder.Action.RETURN,
    WorkOrder.Action.REQUEST_EXTENSION,
    WorkOrder.Action.ANSWER,
)
LEADER_STEPS = (WorkOrder.Action.APPROVE_EXTENSION, WorkOrder.Action.REFUSE_EXTENSION)


@dataclass
class Step:
    action: str
    label: str
    form: WorkOrderStepForm


def allowed_steps(user: User, order: WorkOrder) -> list[str]:
    """The steps the state table allows now that this user may take (the hotline's callback never)."""
    table = WorkOrder.TRANSITIONS[order.status]
    steps: list[str] = []
    if access.can_handle_work_order(user, order):
        steps += [a for a in STAFF_STEPS if a in table]
    if access.can_decide_work_order_extension(user, order):
        steps += [a for a in LEADER_STEPS if a in table]
    return steps


def work_order_context(
    user: User,
    complaint: Complaint,
    *,
    confirming: WorkOrderStepForm | None = None,
    failed: WorkOrderStepForm | None = None,
) -> dict[str, Any]:
    order = selectors.work_order_of(complaint)
    if order is None:
        return {"work_order": None}
    order.complaint = complaint
    steps = []
    for action in allowed_steps(user, order):
        form = failed if failed is not None and failed.action == action else WorkOrderStepForm(action=action)
        steps.append(Step(action=action, label=str(WorkOrder.Action(action).label), form=form))
    events = list(selectors.work_order_events(order))
    for event in events:
        event.label = WorkOrder.Action(event.action).label  # type: ignore[attr-defined]
    return {
        "work_order": order,
        "wo_clock": stage_clock(order, timezone.now()),
        "wo_steps": steps,
        "wo_events": events,
        "wo_confirm": confirming,
        "wo_confirm_what": work_order_step_summary(order, confirming.action, confirming.cleaned_data)
        if confirming
        else "",
    }


@login_required
@require_POST
def work_order_step(request: AuthenticatedHttpRequest, public_id: object, action: str) -> HttpResponse:
    from .complaints import complaint_detail_context  # noqa: PLC0415 - the page imports this module

    complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
    order = selectors.work_order_of(complaint)
    if order is None or action not in WorkOrder.Action.values or action not in allowed_steps(request.user, order):
        messages.error(request, _("当前不能执行此工单操作。"))
        return redirect(complaint)
    form = WorkOrderStepForm(request.POST, action=action)
    if not form.is_valid():
        context = complaint_detail_context(request, complaint, work_order_failed=form)
        return render(request, "complaints/complaint_detail.html", context, status=400)
    if not form.cleaned_data["confirm"]:
        context = complaint_detail_context(request, complaint, work_order_confirming=form)
        return render(request, "complaints/complaint_detail.html", context)
    try:
        services.work_order_transition(
            work_order_id=order.id,
            action=action,
            actor=request.user,
            note=form.cleaned_data.get("note") or "",
            days=form.cleaned_data.get("days"),
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        context = complaint_detail_context(request, complaint, work_order_failed=form)
        return render(request, "complaints/complaint_detail.html", context, status=400)
    messages.success(request, _("工单已%(action)s。") % {"action": WorkOrder.Action(action).label})
    return redirect(complaint)
