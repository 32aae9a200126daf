"""The staff screens that show cases: the list, logging a case, the case page, its documents, calls and assistance."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from govservice import access, metrics
from govservice.masking import mask_id_number, mask_name, mask_phone
from notifications.selectors import sms_list_for_keys
from staff.http import AuthenticatedHttpRequest

from .. import documents, selectors, services
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
from ..models import CLOSED_STATUSES, Case, Commitment, Handover
from ..progress_link import qr_svg_data_uri
from ..search import masked_applicant


def _is_date(value: str | None) -> bool:
    if not value:
        return False
    try:
        return parse_date(value) is not None
    except ValueError:
        return False


# --- lists ---------------------------------------------------------------------------------------


@login_required
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    role = request.GET.get("role", "handler")
    if role not in ("handler", "first", "all"):
        role = "handler"
    status = request.GET.get("status", "open")
    # Links from the dashboard (rectification) use from/to/deficient/assisted. A search from the counter's
    # box (q alone) looks at every case of the centre: the citizen's case may be anyone's, and closed.
    if any(k in request.GET for k in ("from", "to", "deficient", "assisted")) or (
        request.GET.get("q", "").strip() and "role" not in request.GET
    ):
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
    if "metric" in request.GET:  # a figure's rows: all of them, whoever handles them (govservice.metrics)
        queryset, metric = metrics.rows_for_list(request.GET, selectors.case_list_for(user=request.user), request.user)
    else:
        metric = None
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    for case in page:
        case.masked_applicant = masked_applicant(case)  # type: ignore[attr-defined]
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
            "metric": metric,
        },
    )


# --- the case page ------------------------------------------------------------------------------------


@login_required
def case_detail(request: AuthenticatedHttpRequest, public_id) -> HttpResponse:
    detail = selectors.case_detail_for(user=request.user, public_id=public_id, page=True)
    case, events, materials = detail.case, detail.events, detail.materials
    user = request.user
    clock = detail.clock()
    commitment = getattr(case, "commitment", None) if hasattr(case, "commitment") else None
    # Reminder SMS and calls exist only for a correction deadline (services.reminders_plan).
    sms = sms_list_for_keys(key_prefix=f"case:{case.id}:") if commitment else []
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


# --- documents ---------------------------------------------------------------------------------------------


def _document(request: AuthenticatedHttpRequest, public_id, kind: str) -> HttpResponse:
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
        {
            "case": case,
            "document": document,
            "kind": kind,
            "pdf_available": documents.pdf_available(),
            "qr": qr_svg_data_uri(document.progress_url) if document.progress_url else "",
            "can_print_full": kind == "commitment" and services.can_see_full_pii(case, request.user),
        },
    )


@login_required
def case_commitment(request: AuthenticatedHttpRequest, public_id) -> HttpResponse:
    return _document(request, public_id, "commitment")


@login_required
def case_correction_list(request: AuthenticatedHttpRequest, public_id) -> HttpResponse:
    return _document(request, public_id, "correction")


# --- phone calls, assisted handling -------------------------------------------------------------------------


@login_required
def call_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    calls = selectors.reminder_call_list_for(user=request.user)[:200]
    return render(request, "cases/call_list.html", {"calls": calls, "form": CallOutcomeForm()})


@login_required
def assistance_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.assistance_monthly_for(user=request.user)
    mine = (
        selectors.case_list_for(user=request.user, role="")
        .filter(assistance__helper=request.user)
        .exclude(status__in=CLOSED_STATUSES)
    )
    return render(request, "cases/assistance.html", {"rows": rows, "mine": mine})
