"""Staff screens for the "could not get it done" window and its duty rota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access, metrics
from govservice.exceptions import DomainError
from govservice.masking import mask_name, mask_phone
from staff.http import AuthenticatedHttpRequest

from .. import escalations as esc
from .. import rota, selectors, services
from ..deadlines import (
    escalations_with_overdue_flag,
)
from ..filters import (
    EscalationFilter,
)
from ..forms import (
    AnswerForm,
    CloseForm,
    DutySlotForm,
    DutySwapForm,
    EscalationDepartmentForm,
    EscalationForm,
    ReportForm,
    ResolveForm,
    RotaImportForm,
)
from ..models import DutySlot, DutySwap, Escalation
from .common import _labelled, _page, _run


@login_required
def escalation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    queryset, metric = metrics.rows_for_list(
        request.GET, selectors.escalation_list_for(user=request.user), request.user
    )
    filterset = EscalationFilter(request.GET, queryset=queryset, request=request)
    today = timezone.localdate()
    centre = request.user.centre
    on_duty = esc.duty_leader_on(centre=centre, when=timezone.now()) if centre else None
    context = {
        "filter": filterset,
        "metric": metric,
        "page": _page(request, escalations_with_overdue_flag(filterset.qs, today)),
        "today": today,
        "on_duty": on_duty,
        "months": selectors.escalation_monthly(user=request.user, year=today.year),
        "year": today.year,
        "can_register": centre is not None and access.can_manage_centre(request.user, centre.id),
    }
    context["solved_this_year"] = sum(m.solved for m in context["months"])
    return render(request, "complaints/escalation_list.html", context)


@login_required
def escalation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    centre = request.user.centre
    if centre is None or not access.can_manage_centre(request.user, centre.id):
        raise PermissionDenied
    on_duty = esc.duty_leader_on(centre=centre, when=timezone.now())
    form = EscalationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            escalation = esc.escalation_register(centre=centre, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已登记，答复时限 %(date)s。") % {"date": escalation.due_date})
            return redirect("complaints:escalation-detail", public_id=escalation.public_id)
    return render(request, "complaints/escalation_new.html", {"form": form, "on_duty": on_duty})


@login_required
def escalation_detail(request: AuthenticatedHttpRequest, public_id: object) -> HttpResponse:
    escalation = selectors.escalation_get_for(user=request.user, public_id=public_id)
    context = {
        "escalation": escalation,
        "masked_phone": mask_phone(escalation.citizen_phone),
        "masked_name": mask_name(escalation.citizen_name),
        "departments": escalation.departments.select_related("department"),
        "events": _labelled(escalation.events.select_related("actor"), Escalation.Status),
        "department_form": EscalationDepartmentForm(centre_id=escalation.centre_id),
        "answer_form": AnswerForm(),
        "resolve_form": ResolveForm(),
        "close_form": CloseForm(),
        "today": timezone.localdate(),
        "can_manage": access.can_manage_centre(request.user, escalation.centre_id),
        "can_reveal_text": services.can_reveal_text(escalation, request.user),
    }
    return render(request, "complaints/escalation_detail.html", context)


@login_required
def escalation_report(request: AuthenticatedHttpRequest, public_id: object) -> HttpResponse:
    """The special report of a complex matter: edited here, printed from the same page."""
    escalation = selectors.escalation_get_for(user=request.user, public_id=public_id)
    form = ReportForm(request.POST or None, initial={"report": escalation.report})
    if request.method == "POST" and _run(
        request,
        form,
        lambda d: esc.escalation_write_report(escalation_id=escalation.id, report=d["report"], actor=request.user),
        _("专题报告已保存。"),
    ):
        return redirect("complaints:escalation-report", public_id=escalation.public_id)
    context = {
        "escalation": escalation,
        "form": form,
        "departments": escalation.departments.select_related("department"),
        "can_manage": access.can_manage_centre(request.user, escalation.centre_id),
        "can_reveal_text": services.can_reveal_text(escalation, request.user),
    }
    return render(request, "complaints/escalation_report.html", context)


@login_required
@require_POST
def escalation_action(request: AuthenticatedHttpRequest, public_id: object, action: str) -> HttpResponse:
    escalation = selectors.escalation_get_for(user=request.user, public_id=public_id)
    user, eid = request.user, escalation.id
    table: dict[str, tuple[Any, Callable[[dict], Any], str]] = {
        "department": (
            EscalationDepartmentForm(request.POST, centre_id=escalation.centre_id),
            lambda d: esc.escalation_add_department(
                escalation_id=eid, department=d["department"], part=d["part"], actor=user
            ),
            _("已添加参与部门。"),
        ),
        "answer": (
            AnswerForm(request.POST),
            lambda d: esc.escalation_department_answer(
                item_id=escalation.departments.get(id=d["item"]).id, answer=d["answer"], actor=user
            ),
            _("已记录部门答复。"),
        ),
        "resolve": (
            ResolveForm(request.POST),
            lambda d: esc.escalation_resolve(escalation_id=eid, solved=d["solved"], outcome=d["outcome"], actor=user),
            _("已记录办理结果。"),
        ),
        "close": (
            CloseForm(request.POST),
            lambda d: esc.escalation_close(
                escalation_id=eid, satisfaction=d["satisfaction"], note=d["note"], actor=user
            ),
            _("已回访办结。"),
        ),
    }
    if action == "reclassify":
        try:
            esc.escalation_reclassify(escalation_id=eid, kind=request.POST.get("kind", ""), actor=user)
            messages.success(request, _("已调整类型并重算时限。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    elif action in table:
        form, call, success = table[action]
        try:
            _run(request, form, call, success)
        except escalation.departments.model.DoesNotExist:
            messages.error(request, _("未找到。"))
    return redirect("complaints:escalation-detail", public_id=escalation.public_id)


def _week_asked(request: AuthenticatedHttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return timezone.localdate()


@login_required
def duty_rota(request: AuthenticatedHttpRequest) -> HttpResponse:
    centre = request.user.centre
    if centre is None:
        raise PermissionDenied
    can_edit = access.can_manage_centre(request.user, centre.id)
    slot_form = DutySlotForm(centre_id=centre.id)
    swap_form = DutySwapForm(centre_id=centre.id)
    import_form = RotaImportForm()
    import_errors: list[str] = []
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if request.POST.get("form") == "import":
            import_form = RotaImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                result = rota.duty_rota_import(
                    centre=centre, actor=request.user, data=import_form.cleaned_data["file"].read()
                )
                if not result.errors:
                    messages.success(request, _("已导入值班安排，共 %(n)d 个时段。") % {"n": result.slots})
                    return redirect("complaints:duty-rota")
                import_errors = result.errors
        elif request.POST.get("form") == "swap":
            swap_form = DutySwapForm(request.POST, centre_id=centre.id)
            _run(
                request,
                swap_form,
                lambda d: esc.duty_swap(
                    centre=centre, on=d["date"], half=d["half"], leader=d["leader"], note=d["note"], actor=request.user
                ),
                _("已保存调班。"),
            )
            return redirect("complaints:duty-rota")
        elif request.POST.get("form") == "seed":
            esc.duty_rota_seed(centre=centre)
            return redirect("complaints:duty-rota")
        else:
            slot_form = DutySlotForm(request.POST, centre_id=centre.id)
            _run(
                request,
                slot_form,
                lambda d: esc.duty_slot_set(
                    centre=centre, weekday=d["weekday"], half=d["half"], leader=d["leader"], actor=request.user
                ),
                _("已保存值班安排。"),
            )
            return redirect("complaints:duty-rota")
    context = {
        "slots": DutySlot.objects.filter(centre=centre).select_related("leader"),
        "swaps": DutySwap.objects.filter(centre=centre, date__gte=timezone.localdate()).select_related("leader"),
        "slot_form": slot_form,
        "swap_form": swap_form,
        "import_form": import_form,
        "import_errors": import_errors,
        "can_edit": can_edit,
        "on_duty": esc.duty_leader_on(centre=centre, when=timezone.now()),
        "week": rota.duty_week(centre=centre, monday=_week_asked(request)),
    }
    metric = metrics.requested(request.GET)
    if metric is not None:  # the figure's rows: the gaps of the next 14 days (govservice.metrics)
        gaps = metric.queryset(request.user)
        context.update(metric=metric, metric_gaps=gaps, metric_count=len(gaps))
    status = 400 if import_errors or import_form.errors else 200
    return render(request, "complaints/duty_rota.html", context, status=status)
