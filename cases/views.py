"""HTML screens for cases. Thin: they call the same services and selectors as the API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from govservice.masking import mask_id_number, mask_name, mask_phone
from notifications.models import SmsMessage

from . import documents, selectors, services
from .forms import (
    AssignHelperForm,
    AssistanceLogForm,
    CallOutcomeForm,
    CaseLogForm,
    ExtendForm,
    HandoverOfferForm,
    HandoverResponseForm,
    ProgressLookupForm,
    SatisfactionForm,
    TransitionForm,
)
from .models import CLOSED_STATUSES, Case, CaseMaterial, Commitment, Handover, ReminderCall

logger = logging.getLogger(__name__)

LOOKUP_LIMIT = 10  # attempts per client address and per tracking number ...
LOOKUP_WINDOW = 10 * 60  # ... per ten minutes


def _case_action(view: Callable) -> Callable:
    """POST on one case in scope; DomainError → a message; always back to the case page."""

    @login_required
    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, public_id, *args, **kwargs) -> HttpResponse:
        case = selectors.case_get_for(user=request.user, public_id=public_id)
        try:
            result = view(request, case, *args, **kwargs)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(case.get_absolute_url())
        return result or redirect(case.get_absolute_url())

    return wrapper


def _is_date(value: str | None) -> bool:
    try:
        return bool(value) and parse_date(value) is not None
    except ValueError:
        return False


# --- lists ---------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "handler")
    if role not in ("handler", "first", "all"):
        role = "handler"
    status = request.GET.get("status", "open")
    # Links from the dashboard (rectification) use from/to/deficient/assisted.
    if any(k in request.GET for k in ("from", "to", "deficient", "assisted")):
        role, status = request.GET.get("role", "all"), request.GET.get("status", "")
    queryset = selectors.case_list_for(
        user=request.user,
        role="" if role == "all" else role,
        status=status if status in (*Case.Status.values, "open") else "",
        q=request.GET.get("q", ""),
        overdue=request.GET.get("overdue") == "1",
        deficient=request.GET.get("deficient") == "1",
        assisted=request.GET.get("assisted") == "1",
        start=parse_date(request.GET.get("from", "") or "") if _is_date(request.GET.get("from")) else None,
        end=parse_date(request.GET.get("to", "") or "") if _is_date(request.GET.get("to")) else None,
        centre=request.GET.get("centre", ""),
        department=int(department) if (department := request.GET.get("department", "")).isdigit() else None,
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    pending_offers = Handover.objects.filter(to_user=request.user, state=Handover.State.OFFERED).select_related(
        "case", "from_user"
    )
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "role": role,
            "status": status,
            "q": request.GET.get("q", ""),
            "statuses": Case.Status.choices,
            "pending_offers": pending_offers,
            "today": timezone.localdate(),
        },
    )


# --- logging a case ----------------------------------------------------------------------------------


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    matter_types = selectors.matter_type_list_for(user=request.user)
    data = request.POST if request.method == "POST" else None
    initial = {"matter_type": request.GET.get("matter_type")} if request.GET.get("matter_type") else None
    form = CaseLogForm(data, initial=initial, matter_types=matter_types)
    form.fields["matter_type"].widget.attrs["hx-get"] = reverse("cases:new")
    chosen = None
    chosen_id = (data or request.GET).get("matter_type")
    if chosen_id and str(chosen_id).isdigit():
        chosen = matter_types.filter(id=chosen_id).prefetch_related("materials").first()
    provided = {int(v) for v in (data.getlist("provided") if data else []) if v.isdigit()}
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "accept")
        cleaned = form.cleaned_data
        try:
            with transaction.atomic():
                case = services.case_create(
                    actor=request.user,
                    matter_type_id=cleaned["matter_type"].id,
                    applicant_kind=cleaned["applicant_kind"],
                    applicant_name=cleaned["applicant_name"],
                    applicant_phone=cleaned["applicant_phone"],
                    applicant_id_number=cleaned["applicant_id_number"],
                    is_elderly=cleaned["is_elderly"],
                    is_disabled=cleaned["is_disabled"],
                    is_other_special=cleaned["is_other_special"],
                    provided_material_ids=provided,
                )
                if action == "accept":
                    services.case_accept(case_id=case.id, actor=request.user)
                elif action == "accept_deficient":
                    missing = [m.id for m in case.materials.all() if m.state == CaseMaterial.State.MISSING]
                    services.case_accept_with_deficiencies(
                        case_id=case.id,
                        actor=request.user,
                        deferred_material_ids=missing,
                        submit_method=cleaned["submit_method"] or "window",
                    )
        except DomainError as exc:
            if exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            case.refresh_from_db()
            messages.success(
                request,
                _("已登记办件 %(no)s（%(status)s）。") % {"no": case.tracking_no, "status": case.get_status_display()},
            )
            return redirect(case.get_absolute_url())
    materials = list(chosen.materials.all()) if chosen else []
    return render(
        request,
        "cases/case_new.html",
        {"form": form, "matter": chosen, "materials": materials, "provided": provided},
    )


# --- the case page ------------------------------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, public_id) -> HttpResponse:
    detail = selectors.case_detail_for(user=request.user, public_id=public_id, page=True)
    case, events, materials = detail.case, detail.events, detail.materials
    user = request.user
    clock = detail.clock()
    commitment = getattr(case, "commitment", None) if hasattr(case, "commitment") else None
    # Reminder SMS and calls exist only for a correction deadline (services.reminders_plan).
    sms = SmsMessage.objects.filter(key__startswith=f"case:{case.id}:").order_by("send_after") if commitment else []
    calls = case.reminder_calls.select_related("done_by") if commitment else []
    # Most cases are never handed over; their history says so, and the hand-overs are not read.
    handovers = list(case.handovers.select_related("from_user", "to_user")) if detail.was_handed_over else []
    open_offer = next((h for h in handovers if h.state == Handover.State.OFFERED), None)
    assistance = getattr(case, "assistance", None) if hasattr(case, "assistance") else None
    can_manage = access.can_manage_case(user, case)
    allowed = [
        (s, Case.Status(s).label)
        for s in Case.TRANSITIONS[case.status]
        # These moves have their own doors: the acceptance screen, "material received", the deadline task.
        if s
        not in (
            Case.Status.ACCEPTED,
            Case.Status.ACCEPTED_DEFICIENT,
            Case.Status.AWAITING_CORRECTION,
            Case.Status.TERMINATED,
        )
        and not (case.status == Case.Status.AWAITING_CORRECTION and s == Case.Status.IN_PROCESS)
    ]
    context = {
        "case": case,
        "events": events,
        "clock": clock,
        "materials": materials,
        "commitment": commitment,
        "sms": sms,
        "calls": calls,
        "handovers": handovers,
        "open_offer": open_offer,
        "assistance": assistance,
        "assistance_logs": assistance.logs.select_related("helper") if assistance else [],
        "masked": {
            "name": mask_name(case.applicant_name),
            "phone": mask_phone(case.applicant_phone),
            "id_number": mask_id_number(case.applicant_id_number),
        },
        "can_see_pii": services.can_see_full_pii(case, user),
        "can_manage": can_manage and case.status not in CLOSED_STATUSES,
        "is_handler": user.id == case.handler_id,
        "transition_form": TransitionForm(),
        "allowed": allowed,
        "handover_form": HandoverOfferForm(candidates=selectors.handover_candidates_for(case=case))
        if user.id == case.handler_id and case.is_open
        else None,
        "response_form": HandoverResponseForm(),
        "extend_form": ExtendForm(initial={"days": 2})
        if access.can_extend_correction(user, case.centre_id) and commitment
        else None,
        "call_form": CallOutcomeForm(),
        "assign_form": AssignHelperForm(helpers=selectors.helpers_for(case=case)) if case.is_special_group else None,
        "assist_log_form": AssistanceLogForm() if assistance and assistance.helper_id == user.id else None,
        "satisfaction_form": SatisfactionForm() if assistance and case.status == Case.Status.COMPLETED else None,
        "pdf_available": documents.pdf_available(),
        "awaiting": case.status == Case.Status.AWAITING_CORRECTION,
        "consulting": case.status == Case.Status.CONSULTATION and can_manage,
        "submit_methods": Commitment.SubmitMethod.choices,
    }
    return render(request, "cases/case_detail.html", context)


@_case_action
def case_transition(request: HttpRequest, case: Case) -> None:
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
def case_accept(request: HttpRequest, case: Case) -> None:
    """A consultation case accepted from its page once the applicant brings the materials."""
    provided = [int(v) for v in request.POST.getlist("provided") if v.isdigit()]
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


@_case_action
def case_material_received(request: HttpRequest, case: Case, material_id: int) -> None:
    case = services.case_material_receive(case_id=case.id, case_material_id=material_id, actor=request.user)
    if case.status == Case.Status.IN_PROCESS:
        messages.success(request, _("材料已收齐，办件恢复办理，提醒已取消。"))
    else:
        messages.success(request, _("已登记收到材料。"))


@_case_action
def case_handover_offer(request: HttpRequest, case: Case) -> None:
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


@_case_action
def case_handover_respond(request: HttpRequest, case: Case, handover_id: int) -> None:
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
def case_extend(request: HttpRequest, case: Case) -> None:
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写延长天数和理由。"))
        return
    services.case_correction_extend(
        case_id=case.id, actor=request.user, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("补正期限已延长。"))


@_case_action
def case_call_outcome(request: HttpRequest, case: Case, call_id: int) -> None:
    call = get_object_or_404(ReminderCall, id=call_id, case=case)
    form = CallOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择通话结果。"))
        return
    services.reminder_call_record(
        call_id=call.id, actor=request.user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
    )
    messages.success(request, _("已记录通话结果。"))
    if request.POST.get("next") == "calls":
        return redirect("cases:calls")
    return None


@_case_action
def case_assign_helper(request: HttpRequest, case: Case) -> None:
    form = AssignHelperForm(request.POST, helpers=selectors.helpers_for(case=case))
    if not form.is_valid():
        messages.error(request, _("请选择帮办员。"))
        return
    services.assistance_assign(case_id=case.id, actor=request.user, helper_id=form.cleaned_data["helper"].id)
    messages.success(request, _("已指派帮办员。"))


@_case_action
def case_assist_log(request: HttpRequest, case: Case) -> None:
    form = AssistanceLogForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择帮办内容。"))
        return
    services.assistance_log_add(
        case_id=case.id, actor=request.user, action=form.cleaned_data["action"], note=form.cleaned_data["note"]
    )
    messages.success(request, _("已记录帮办内容。"))


@_case_action
def case_assist_rate(request: HttpRequest, case: Case) -> None:
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择满意度。"))
        return
    services.assistance_rate(case_id=case.id, actor=request.user, satisfaction=form.cleaned_data["satisfaction"])
    messages.success(request, _("已记录满意度。"))


@login_required
@require_POST
def case_reveal(request: HttpRequest, public_id, field: str) -> HttpResponse:
    """The full value, for a role that needs it; logged. Rendered as a fragment, never put in a message."""
    case = selectors.case_get_for(user=request.user, public_id=public_id)
    try:
        value = services.case_pii_reveal(case=case, viewer=request.user, field=field)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.status_code)
    response = render(request, "cases/_revealed.html", {"value": value, "field": field, "case": case})
    response["Cache-Control"] = "no-store"
    return response


# --- documents ---------------------------------------------------------------------------------------------


def _document(request: HttpRequest, public_id, kind: str) -> HttpResponse:
    case = selectors.case_get_for(user=request.user, public_id=public_id)
    if not hasattr(case, "commitment"):
        raise Http404
    build = documents.commitment_document if kind == "commitment" else documents.correction_list_document
    document = build(case)
    if request.GET.get("format") == "pdf":
        if not documents.pdf_available():
            messages.warning(request, _("本机没有中文字体，无法生成 PDF；请使用浏览器打印。"))
            return redirect(request.path)
        response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{case.tracking_no}-{kind}.pdf"'
        return response
    return render(
        request,
        "cases/document.html",
        {"case": case, "document": document, "kind": kind, "pdf_available": documents.pdf_available()},
    )


@login_required
def case_commitment(request: HttpRequest, public_id) -> HttpResponse:
    return _document(request, public_id, "commitment")


@login_required
def case_correction_list(request: HttpRequest, public_id) -> HttpResponse:
    return _document(request, public_id, "correction")


# --- phone calls, assisted handling -------------------------------------------------------------------------


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    calls = selectors.reminder_call_list_for(user=request.user)[:200]
    return render(request, "cases/call_list.html", {"calls": calls, "form": CallOutcomeForm()})


@login_required
def assistance_overview(request: HttpRequest) -> HttpResponse:
    rows = selectors.assistance_monthly_for(user=request.user)
    mine = (
        selectors.case_list_for(user=request.user, role="")
        .filter(assistance__helper=request.user)
        .exclude(status__in=CLOSED_STATUSES)
    )
    return render(request, "cases/assistance.html", {"rows": rows, "mine": mine})


# --- the citizen's progress lookup (no login) ------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _rate_limited(*keys: str) -> bool:
    """Count an attempt under each key; True when any key is over the limit."""
    limited = False
    for key in keys:
        cache.add(key, 0, LOOKUP_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, LOOKUP_WINDOW)
            count = 1
        limited = limited or count > LOOKUP_LIMIT
    return limited


def progress_lookup(request: HttpRequest) -> HttpResponse:
    form = ProgressLookupForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        tracking_no = form.cleaned_data["tracking_no"].strip().upper()
        if _rate_limited(f"cases:lookup:ip:{_client_ip(request)}", f"cases:lookup:no:{tracking_no}"):
            form.add_error(None, _("查询过于频繁，请稍后再试。"))
            status = 429
        else:
            case = selectors.case_for_citizen(tracking_no=tracking_no, phone_last4=form.cleaned_data["phone_last4"])
            if case is None:
                form.add_error(None, _("未找到该办件，请核对办件编号和手机号后四位。"))
            else:
                clock = services.case_clock(case=case)
                outstanding = (
                    [m.name for m in case.materials.all() if m.state == CaseMaterial.State.DEFERRED]
                    if case.status == Case.Status.AWAITING_CORRECTION
                    else []
                )
                result = {
                    "tracking_no": case.tracking_no,
                    "matter": case.matter_type.name,
                    "centre": case.centre.name,
                    "status": case.get_status_display(),
                    "accepted_at": case.accepted_at,
                    "due_date": clock.due_date or case.due_date,
                    "clock": clock,
                    "correction_deadline": case.commitment.deadline if outstanding else None,
                    "outstanding": outstanding,
                    "completed_at": case.completed_at,
                }
    response = render(request, "cases/progress.html", {"form": form, "result": result}, status=status)
    response["Cache-Control"] = "no-store"
    return response
