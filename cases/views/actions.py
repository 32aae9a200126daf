"""The staff POST actions on one case: each calls one service and returns to the case page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest

from .. import selectors, services
from ..counter import Decision
from ..forms import (
    AssignHelperForm,
    AssistanceLogForm,
    CallOutcomeForm,
    ExtendForm,
    HandoverOfferForm,
    HandoverResponseForm,
    SatisfactionForm,
    TransitionForm,
)
from ..models import Case, CaseMaterial, Handover, ReminderCall
from .counter import decision_confirmation


def _case_action(view: Callable[..., HttpResponse | None]) -> Callable[..., HttpResponse]:
    """POST on one case in scope; DomainError → a message; always back to the case page."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, public_id: UUID, *args: Any, **kwargs: Any) -> HttpResponse:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        try:
            result = view(request, case, *args, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(case.get_absolute_url())
        return result or redirect(case.get_absolute_url())

    return wrapper


# --- actions on the case page ---------------------------------------------------------------------


@_case_action
def case_transition(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("提交的数据有误。"))
        return
    services.case_transition(
        case_id=case.id,
        to=form.cleaned_data["to"],
        actor=request.user,
        note=form.cleaned_data["note"],
        reason=form.cleaned_data["reason"],
        referred_to=form.cleaned_data["referred_to"],
    )
    messages.success(request, _("状态已更新。"))


@_case_action
def case_accept(request: AuthenticatedHttpRequest, case: Case) -> HttpResponse | None:
    """A consultation case accepted from its page once the applicant brings the materials; a decision
    (accept, accept with deficiencies) is confirmed on a page of its own first (cases/views/counter.py)."""
    provided = [int(v) for v in request.POST.getlist("provided") if v.isdigit()]
    decision = request.POST.get("action", "")
    if request.POST.get("back"):
        return None
    if decision in (Decision.ACCEPT, Decision.ACCEPT_DEFICIENT) and not request.POST.get("confirm"):
        return decision_confirmation(request, case, decision=decision, provided=provided)
    with transaction.atomic():
        services.case_materials_update(case_id=case.id, actor=request.user, provided_ids=provided)
        if request.POST.get("action") == "accept_deficient":
            missing = case.materials.filter(state=CaseMaterial.State.MISSING).values_list("id", flat=True)
            services.case_accept_with_deficiencies(
                case_id=case.id,
                actor=request.user,
                deferred_material_ids=list(missing),
                submit_method=request.POST.get("submit_method") or "window",
            )
        elif request.POST.get("action") == "accept":
            services.case_accept(case_id=case.id, actor=request.user)
    messages.success(request, _("已更新。"))
    return None


@_case_action
def case_material_received(request: AuthenticatedHttpRequest, case: Case, material_id: int) -> None:
    case = services.case_material_receive(case_id=case.id, case_material_id=material_id, actor=request.user)
    if case.status == Case.Status.IN_PROCESS:
        messages.success(request, _("材料已收齐，办件恢复办理，提醒已取消。"))
    else:
        messages.success(request, _("已登记收到材料。"))


@_case_action
def case_handover_offer(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = HandoverOfferForm(request.POST, candidates=selectors.handover_candidates_for(case=case))
    if not form.is_valid():
        messages.error(request, _("请选择接收人并写明理由。"))
        return
    services.case_handover_offer(
        case_id=case.id,
        actor=request.user,
        to_user_id=form.cleaned_data["to_user"].id,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("已提出转交，等待对方接收。"))
    if form.cleaned_data["to_user"].id in form.absent_until:
        messages.warning(
            request,
            _("请注意：接收人 %(who)s，返岗前可能无法及时接收。")
            % {"who": form.receiver_label(form.cleaned_data["to_user"])},
        )


@_case_action
def case_handover_respond(request: AuthenticatedHttpRequest, case: Case, handover_id: int) -> None:
    handover = get_object_or_404(Handover, id=handover_id, case=case)
    if request.POST.get("withdraw"):
        services.case_handover_withdraw(handover_id=handover.id, actor=request.user)
        messages.success(request, _("已撤回转交。"))
        return
    form = HandoverResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("提交的数据有误。"))
        return
    services.case_handover_respond(
        handover_id=handover.id,
        actor=request.user,
        accept=form.cleaned_data["accept"],
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("已答复转交。"))


@_case_action
def case_extend(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写延长天数和理由。"))
        return
    services.case_correction_extend(
        case_id=case.id, actor=request.user, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("补正期限已延长。"))


@_case_action
def case_call_outcome(request: AuthenticatedHttpRequest, case: Case, call_id: int) -> HttpResponse | None:
    call = get_object_or_404(ReminderCall, id=call_id, case=case)
    form = CallOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择通话结果。"))
        return None
    services.reminder_call_record(
        call_id=call.id, actor=request.user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
    )
    messages.success(request, _("已记录通话结果。"))
    if request.POST.get("next") == "calls":
        return redirect("cases:calls")
    return None


@_case_action
def case_assign_helper(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = AssignHelperForm(request.POST, helpers=selectors.helpers_for(case=case))
    if not form.is_valid():
        messages.error(request, _("请选择帮办员。"))
        return
    services.assistance_assign(case_id=case.id, actor=request.user, helper_id=form.cleaned_data["helper"].id)
    messages.success(request, _("已指派帮办员。"))


@_case_action
def case_assist_log(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = AssistanceLogForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择帮办内容。"))
        return
    services.assistance_log_add(
        case_id=case.id, actor=request.user, action=form.cleaned_data["action"], note=form.cleaned_data["note"]
    )
    messages.success(request, _("已记录帮办内容。"))


@_case_action
def case_assist_rate(request: AuthenticatedHttpRequest, case: Case) -> None:
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择满意度。"))
        return
    services.assistance_rate(case_id=case.id, actor=request.user, satisfaction=form.cleaned_data["satisfaction"])
    messages.success(request, _("已记录满意度。"))


@login_required
@require_POST
def case_reveal(request: AuthenticatedHttpRequest, public_id: UUID, field: str) -> HttpResponse:
    """The full value, for a role that needs it; logged. Rendered as a fragment, never put in a message."""
    case = selectors.case_get_for(user=request.user, public_id=public_id)
    try:
        value = services.case_pii_reveal(case=case, viewer=request.user, field=field)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status_code)
    response = render(request, "cases/_revealed.html", {"value": value, "field": field, "case": case})
    response["Cache-Control"] = "no-store"
    return response
