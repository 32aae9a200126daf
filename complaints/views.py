"""Staff screens for feedback. Thin: read through selectors, write through services."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from govservice.masking import mask_name, mask_phone
from staff.selectors import get_in_scope, window_list_for

from . import escalations as esc
from . import selectors, services
from .filters import (
    BAD_REVIEW_FINISHED,
    COMPLAINT_FINISHED,
    BadReviewFilter,
    ComplaintFilter,
    EscalationFilter,
    EvaluationFilter,
    bad_review_rectify_overdue,
)
from .forms import (
    AnswerForm,
    AppealDecisionForm,
    AssignForm,
    CallbackForm,
    ClassifyForm,
    CloseForm,
    DutySlotForm,
    DutySwapForm,
    EscalationDepartmentForm,
    EscalationForm,
    MergeForm,
    NoteForm,
    ReassignForm,
    RectifyForm,
    ReplyForm,
    ResolveForm,
    VerifyForm,
)
from .models import BadReview, Channel, Complaint, DutySlot, DutySwap, Escalation, EvaluationLevel, EvaluationTag

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
    if not selectors.sees_all_feedback(request.user):
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


# --- overview and reports ------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start = today.replace(day=1)
    totals = selectors.evaluation_totals(user=request.user, start=start)
    bad_reviews = selectors.bad_review_list_for(user=request.user)
    complaints = selectors.complaint_list_for(user=request.user)
    year_start = today.replace(month=1, day=1)
    # Each tile links to the list filtered to exactly the rows it counts (the same definitions
    # as the list filters in complaints/filters.py).
    context = {
        "totals": totals,
        "month": start,
        "open_bad_reviews": bad_reviews.exclude(status__in=BAD_REVIEW_FINISHED).count(),
        "overdue_bad_reviews": bad_reviews.filter(bad_review_rectify_overdue(today)).count(),
        "open_complaints": complaints.exclude(status__in=COMPLAINT_FINISHED).count(),
        "unclassified": complaints.filter(category="").count(),
        "shares": selectors.complaint_category_shares(user=request.user),
        "callback": selectors.bad_review_callback_rate(user=request.user, start=start),
        "escalations_solved": sum(m.solved for m in selectors.escalation_monthly(user=request.user, year=today.year)),
        "links": {
            "evaluations": {"rated_from": start, "excluded": "false", "follow_up": "false"},
            "callback": {"real_name": "true", "state": "valid", "rated_from": start},
            "escalations_solved": {"solved_from": year_start, "solved_to": year_start.replace(month=12, day=31)},
        },
    }
    context["links"] = {name: urlencode(query) for name, query in context["links"].items()}
    return render(request, "complaints/overview.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    _require_feedback_staff(request)
    by = request.GET.get("by", "month")
    if by not in ("month", "window", "channel"):
        by = "month"

    def _date(name: str) -> date | None:
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    start, end = _date("start"), _date("end")
    rows = selectors.evaluation_distribution(user=request.user, by=by, start=start, end=end)
    year = timezone.localdate().year
    context = {
        "by": by,
        "start": start,
        "end": end,
        "rows": rows,
        "totals": selectors.evaluation_totals(user=request.user, start=start, end=end),
        "levels": [(level, label) for level, label in sorted(EvaluationLevel.choices, reverse=True)],
        "shares": selectors.complaint_category_shares(user=request.user, start=start, end=end),
        "escalation_months": selectors.escalation_monthly(user=request.user, year=year),
        "year": year,
    }
    return render(request, "complaints/report.html", context)


# --- complaints ----------------------------------------------------------------------------


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.complaint_list_for(user=request.user)
    filterset = ComplaintFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset.qs)
    for complaint in page:
        complaint.masked_phone = mask_phone(complaint.contact_phone)
    return render(request, "complaints/complaint_list.html", {"filter": filterset, "page": page})


@login_required
def complaint_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
    centre_id = complaint.centre_id
    duplicates = services.complaint_duplicates(complaint)
    suggestion = services.suggest_category(complaint.content)
    context = {
        "complaint": complaint,
        "masked_phone": mask_phone(complaint.contact_phone),
        "masked_name": mask_name(complaint.contact_name),
        "events": _labelled(complaint.events.select_related("actor"), Complaint.Status),
        "suggestion": suggestion,
        "suggestion_label": dict(ClassifyForm.base_fields["category"].choices).get(suggestion, ""),
        "classify_form": ClassifyForm(
            centre_id=centre_id,
            initial={"category": complaint.category or suggestion, "problem": complaint.problem_id},
        ),
        "assign_form": AssignForm(
            centre_id=centre_id, initial={"department": complaint.department_id, "owner": complaint.owner_id}
        ),
        "reply_form": ReplyForm(),
        "callback_form": CallbackForm(),
        "duplicates": duplicates,
        "merge_form": MergeForm(candidates=duplicates) if duplicates else None,
        "sources": complaint.merged_sources.select_related("channel"),
        "can_manage": services.is_manager(request.user, centre_id),
    }
    return render(request, "complaints/complaint_detail.html", context)


@login_required
@require_POST
def complaint_action(request: HttpRequest, public_id: object, action: str) -> HttpResponse:
    complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
    user, cid = request.user, complaint.id
    forms_and_calls: dict[str, tuple[Any, Callable[[dict], Any], str]] = {
        "classify": (
            ClassifyForm(request.POST, centre_id=complaint.centre_id),
            lambda d: services.complaint_classify(
                complaint_id=cid, category=d["category"], problem=d["problem"], note=d["note"], actor=user
            ),
            _("已归类。"),
        ),
        "assign": (
            AssignForm(request.POST, centre_id=complaint.centre_id),
            lambda d: services.complaint_assign(
                complaint_id=cid, department=d["department"], owner=d["owner"], actor=user
            ),
            _("已分派。"),
        ),
        "reply": (
            ReplyForm(request.POST),
            lambda d: services.complaint_reply(complaint_id=cid, reply=d["reply"], actor=user),
            _("已答复。"),
        ),
        "callback": (
            CallbackForm(request.POST),
            lambda d: services.complaint_callback(
                complaint_id=cid, satisfied=d["satisfied"], note=d["note"], actor=user
            ),
            _("已记录回访。"),
        ),
        "merge": (
            MergeForm(request.POST, candidates=services.complaint_duplicates(complaint)),
            lambda d: services.complaint_merge(primary_id=cid, duplicate_id=d["duplicate"].id, actor=user),
            _("已合并，保留全部来源。"),
        ),
    }
    if action not in forms_and_calls:
        return redirect(complaint)
    form, call, success = forms_and_calls[action]
    _run(request, form, call, success)
    return redirect(complaint)


# --- evaluations and the bad-review flow ---------------------------------------------------


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.evaluation_list_for(user=request.user)
    filterset = EvaluationFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset.qs)
    tag_labels = dict(EvaluationTag.objects.values_list("code", "label"))
    for evaluation in page:
        evaluation.tag_labels = [tag_labels.get(code, code) for code in evaluation.tags]
    return render(request, "complaints/evaluation_list.html", {"filter": filterset, "page": page})


@login_required
def bad_review_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.bad_review_list_for(user=request.user)
    filterset = BadReviewFilter(request.GET, queryset=queryset, request=request)
    return render(
        request,
        "complaints/bad_review_list.html",
        {"filter": filterset, "page": _page(request, filterset.qs), "today": timezone.localdate()},
    )


@login_required
def bad_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bad_review = selectors.bad_review_get_for(user=request.user, pk=pk)
    evaluation = bad_review.evaluation
    context = {
        "bad_review": bad_review,
        "evaluation": evaluation,
        "masked_phone": mask_phone(evaluation.evaluator_phone),
        "masked_name": mask_name(evaluation.evaluator_name),
        "events": _labelled(evaluation.events.select_related("actor"), BadReview.Status),
        "verify_form": VerifyForm(centre_id=bad_review.centre_id),
        "note_form": NoteForm(),
        "rectify_form": RectifyForm(),
        "callback_form": CallbackForm(),
        "appeal_form": AppealDecisionForm(),
        "reassign_form": ReassignForm(centre_id=bad_review.centre_id, initial={"owner": bad_review.owner_id}),
        "can_manage": services.is_manager(request.user, bad_review.centre_id),
        "follow_up": getattr(evaluation, "follow_up", None),
        "today": timezone.localdate(),
        "is_leader": request.user.is_leader,
    }
    return render(request, "complaints/bad_review_detail.html", context)


@login_required
@require_POST
def bad_review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    bad_review = selectors.bad_review_get_for(user=request.user, pk=pk)
    user, bid = request.user, bad_review.id
    table: dict[str, tuple[Any, Callable[[dict], Any], str]] = {
        "contact": (
            NoteForm(request.POST),
            lambda d: services.bad_review_contact(bad_review_id=bid, note=d["note"], actor=user),
            _("已记录联系。"),
        ),
        "verify": (
            VerifyForm(request.POST, centre_id=bad_review.centre_id),
            lambda d: services.bad_review_verify(
                bad_review_id=bid,
                verdict=d["verdict"],
                note=d["note"],
                is_complex=d["is_complex"],
                problem=d["problem"],
                actor=user,
            ),
            _("已记录核实结论。"),
        ),
        "rectify": (
            RectifyForm(request.POST),
            lambda d: services.bad_review_rectify(bad_review_id=bid, rectification=d["rectification"], actor=user),
            _("已记录整改。"),
        ),
        "callback": (
            CallbackForm(request.POST),
            lambda d: services.bad_review_callback(
                bad_review_id=bid, satisfied=d["satisfied"], note=d["note"], actor=user
            ),
            _("已记录回访。"),
        ),
        "appeal": (
            AppealDecisionForm(request.POST),
            lambda d: services.bad_review_decide_appeal(
                bad_review_id=bid, upheld=d["upheld"], decision=d["decision"], actor=user
            ),
            _("已记录复核结论。"),
        ),
        "reassign": (
            ReassignForm(request.POST, centre_id=bad_review.centre_id),
            lambda d: services.bad_review_reassign(bad_review_id=bid, owner=d["owner"], actor=user),
            _("已更换责任人。"),
        ),
    }
    if action in table:
        form, call, success = table[action]
        _run(request, form, call, success)
    return redirect("complaints:bad-review-detail", pk=bid)


# --- the "could not get it done" window ----------------------------------------------------


@login_required
def escalation_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.escalation_list_for(user=request.user)
    filterset = EscalationFilter(request.GET, queryset=queryset, request=request)
    today = timezone.localdate()
    centre = request.user.centre
    on_duty = esc.duty_leader_on(centre=centre, when=timezone.now()) if centre else None
    context = {
        "filter": filterset,
        "page": _page(request, filterset.qs),
        "today": today,
        "on_duty": on_duty,
        "months": selectors.escalation_monthly(user=request.user, year=today.year),
        "year": today.year,
        "can_register": centre is not None and services.is_manager(request.user, centre.id),
    }
    context["solved_this_year"] = sum(m.solved for m in context["months"])
    return render(request, "complaints/escalation_list.html", context)


@login_required
def escalation_new(request: HttpRequest) -> HttpResponse:
    centre = request.user.centre
    if centre is None or not services.is_manager(request.user, centre.id):
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
def escalation_detail(request: HttpRequest, public_id: object) -> HttpResponse:
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
        "can_manage": services.is_manager(request.user, escalation.centre_id),
    }
    return render(request, "complaints/escalation_detail.html", context)


@login_required
def escalation_report(request: HttpRequest, public_id: object) -> HttpResponse:
    """The special report of a complex matter: edited here, printed from the same page."""
    escalation = selectors.escalation_get_for(user=request.user, public_id=public_id)
    from .forms import ReportForm

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
        "can_manage": services.is_manager(request.user, escalation.centre_id),
    }
    return render(request, "complaints/escalation_report.html", context)


@login_required
@require_POST
def escalation_action(request: HttpRequest, public_id: object, action: str) -> HttpResponse:
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


@login_required
def duty_rota(request: HttpRequest) -> HttpResponse:
    centre = request.user.centre
    if centre is None:
        raise PermissionDenied
    can_edit = services.is_manager(request.user, centre.id)
    slot_form = DutySlotForm(centre_id=centre.id)
    swap_form = DutySwapForm(centre_id=centre.id)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if request.POST.get("form") == "swap":
            swap_form = DutySwapForm(request.POST, centre_id=centre.id)
            _run(
                request,
                swap_form,
                lambda d: esc.duty_swap(
                    centre=centre, on=d["date"], half=d["half"], leader=d["leader"], note=d["note"], actor=request.user
                ),
                _("已保存调班。"),
            )
        elif request.POST.get("form") == "seed":
            esc.duty_rota_seed(centre=centre)
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
        "can_edit": can_edit,
        "on_duty": esc.duty_leader_on(centre=centre, when=timezone.now()),
    }
    return render(request, "complaints/duty_rota.html", context)


# --- window QR codes -----------------------------------------------------------------------


def _rate_url(window: Any) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("complaints:rate-window", args=[window.public_id])


@login_required
def window_qr_list(request: HttpRequest) -> HttpResponse:
    _require_feedback_staff(request)
    windows = window_list_for(user=request.user).order_by("centre__code", "code")
    has_channel = set(
        Channel.objects.filter(kind=Channel.Kind.QR_CODE, is_active=True).values_list("centres__id", flat=True)
    )
    return render(request, "complaints/window_qr_list.html", {"windows": windows, "has_channel": has_channel})


@login_required
def window_qr_svg(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_in_scope(window_list_for(user=request.user), request.user, pk=pk)
    buffer = io.BytesIO()
    segno.make(_rate_url(window), error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def window_qr_print(request: HttpRequest, pk: int) -> HttpResponse:
    window = get_in_scope(window_list_for(user=request.user), request.user, pk=pk)
    return render(request, "complaints/window_qr_print.html", {"window": window, "url": _rate_url(window)})
