"""Screens of the ledger (thin: they call the same services and selectors as the API)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access, metrics
from govservice.categories import ProblemCategory
from govservice.exceptions import DomainError
from govservice.replica import replica_view
from govservice.selectors import department_list
from staff.http import AuthenticatedHttpRequest
from staff.selectors import centre_list_for, get_in_scope, scope_to_user

from . import documents, services
from .board import commitment_of
from .forms import ImportForm, MeasureForm, ProblemForm, ProgressForm, TransitionForm
from .models import LedgerImport, Problem
from .recurrence_views import recurrence_context
from .selectors import (
    LedgerFilters,
    LedgerProblem,
    close_out_decision_summary,
    event_list_for_problem,
    evidence_get_for,
    measure_get_for,
    measure_list_for,
    measure_list_for_problem,
    problem_get_for,
    problem_list_for,
    problem_list_with_measures_for,
)


def _filter_context(request: AuthenticatedHttpRequest, filters: LedgerFilters) -> dict:
    user = request.user
    return {
        "filters": filters,
        "query": filters.as_query(),
        "categories": ProblemCategory.choices,
        "statuses": Problem.Status.choices,
        "departments": scope_to_user(department_list(), user).select_related("centre").order_by("centre", "name"),
        "centres": centre_list_for(user=user) if access.is_city_wide(user) else [],
    }


def _with_metric(request: AuthenticatedHttpRequest, problems: QuerySet[LedgerProblem]) -> QuerySet[LedgerProblem]:
    """The export, print and PDF of a list opened from a figure hold the figure's rows (`?metric=`), as the list."""
    return metrics.rows_for_list(request.GET, problems, request.user)[0]


@login_required
def ledger_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = LedgerFilters.from_query(request.GET)
    problems, metric = metrics.rows_for_list(
        request.GET, problem_list_for(user=request.user, filters=filters), request.user
    )
    page = Paginator(problems, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "metric": metric,
        "can_register": access.has_management_role(request.user),
        **_filter_context(request, filters),
    }
    if metric is not None:  # the next page keeps showing the figure's rows
        context["query"] = {**context["query"], "metric": metric.name}
    return render(request, "rectification/ledger_list.html", context)


@login_required
def measure_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Measures: all in scope, or exactly those a figure counts (`?metric=ledger_measures_overdue`)."""
    measures, metric = metrics.rows_for_list(request.GET, measure_list_for(user=request.user), request.user)
    page = Paginator(measures, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "rectification/measure_list.html",
        {"page": page, "metric": metric, "today": timezone.localdate(), "centres": access.is_city_wide(request.user)},
    )


@login_required
@replica_view
def ledger_print(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = LedgerFilters.from_query(request.GET)
    problems = _with_metric(request, problem_list_with_measures_for(user=request.user, filters=filters))
    return render(
        request,
        "rectification/ledger_print.html",
        {
            "rows": documents.ledger_rows(problems),
            "columns": documents.ledger_headers(),
            **_filter_context(request, filters),
        },
    )


def _title(request: AuthenticatedHttpRequest, filters: LedgerFilters) -> str:
    return documents.ledger_title(user=request.user, centre_code=filters.centre)


@login_required
@replica_view
def ledger_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = LedgerFilters.from_query(request.GET)
    problems = _with_metric(request, problem_list_with_measures_for(user=request.user, filters=filters))
    return _pdf_response(request, problems, _title(request, filters), "ledger", detailed=False)


def _pdf_response(
    request: AuthenticatedHttpRequest, problems: Iterable[LedgerProblem], title: str, name: str, *, detailed: bool
) -> HttpResponse:
    try:
        data = documents.ledger_pdf(problems, title=title, detailed=detailed)
    except documents.NoCJKFont:
        messages.error(
            request,
            _("服务器未安装中文字体，无法生成 PDF。请安装 fonts-noto-cjk 或 fonts-wqy-microhei，或使用打印视图。"),
        )
        return redirect(request.META.get("HTTP_REFERER") or "rectification:ledger")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.pdf"'
    return response


@login_required
def ledger_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload: the file is stored and queued, never parsed here; the import's own page shows the outcome."""
    user = request.user
    if not access.has_management_role(user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if user.centre is None:
            raise Http404
        try:
            with transaction.atomic():
                batch = services.ledger_import_create(centre=user.centre, actor=user, upload=form.cleaned_data["file"])
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("rectification:ledger-import-status", pk=batch.pk)
    imports = scope_to_user(LedgerImport.objects.select_related("uploaded_by"), user)[:10]
    return render(request, "rectification/ledger_import.html", {"form": form, "imports": imports})


@login_required
def ledger_import_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The import's state; while it runs the page polls this (htmx) and gets the status part only."""
    if not access.has_management_role(request.user):
        raise Http404
    batch = get_in_scope(LedgerImport.objects.select_related("uploaded_by"), request.user, pk=pk)
    template = "rectification/_ledger_import_status.html" if request.htmx else "rectification/ledger_import_status.html"
    return render(request, template, {"batch": batch})


@login_required
def problem_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not access.has_management_role(user) or user.centre_id is None:
        raise Http404
    form = ProblemForm(request.POST or None, centre_id=user.centre_id)
    if request.method == "POST" and form.is_valid():
        if user.centre is None:  # the same as centre_id above, read as the object
            raise Http404
        try:
            problem = services.problem_create(actor=user, centre=user.centre, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect(problem)
    return render(request, "rectification/problem_form.html", {"form": form})


@login_required
def problem_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    if not services.can_manage_problem(request.user, problem):
        raise Http404
    initial = {name: getattr(problem, name) for name in services.PROBLEM_EDITABLE if name != "window"}
    form = ProblemForm(request.POST or None, centre_id=problem.centre_id, initial={**initial, "code": problem.code})
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k in services.PROBLEM_EDITABLE}
        try:
            services.problem_update(problem_id=problem.id, actor=request.user, **fields)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存，修改已记入问题记录。"))
            return redirect(problem)
    return render(request, "rectification/problem_form.html", {"form": form, "problem": problem})


@login_required
def problem_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    return render(request, "rectification/problem_detail.html", _detail_context(request, problem))


def _detail_context(request: AuthenticatedHttpRequest, problem: LedgerProblem) -> dict:
    user = request.user
    can_manage = services.can_manage_problem(user, problem)
    can_recheck = access.can_recheck(user)
    transitions = []
    # Forward moves first (verify before send back), in a stable order.
    order = list(Problem.Status.values)
    for to in sorted(Problem.TRANSITIONS[problem.status], key=order.index, reverse=True):
        if problem.status == Problem.Status.CLOSE_OUT_APPLIED and not access.can_close_out(user, problem):
            continue
        if problem.status == Problem.Status.CLOSED and not can_recheck:
            continue
        if problem.status in (Problem.Status.OPEN, Problem.Status.IN_RECTIFICATION) and not can_manage:
            continue
        transitions.append(_transition_button(problem.status, to))
    return {
        "problem": problem,
        "measures": measure_list_for_problem(problem),
        "events": event_list_for_problem(problem),
        "evidence": problem.evidence.select_related("uploaded_by", "update"),
        "complaints": problem.complaints.order_by("-received_at")[:20],
        "can_manage": can_manage,
        "transitions": transitions,
        "progress_form": ProgressForm(),
        "measure_form": MeasureForm(problem=problem)
        if can_manage and problem.status != Problem.Status.CLOSED
        else None,
        "can_recheck": problem.status == Problem.Status.CLOSED and can_recheck,
        "today": timezone.localdate(),
        "can_publish": access.can_publish_commitment(user, problem),
        "public_commitment": commitment_of(problem),
        **recurrence_context(user, problem),
    }


def _transition_button(current: str, to: str) -> dict:
    S = Problem.Status
    labels: dict[tuple[str, str], tuple[str, bool, bool]] = {
        (S.OPEN, S.IN_RECTIFICATION): (_("开始整改"), False, False),
        (S.IN_RECTIFICATION, S.CLOSE_OUT_APPLIED): (_("申请销号"), False, True),
        (S.CLOSE_OUT_APPLIED, S.CLOSED): (_("验收通过，销号"), False, False),
        (S.CLOSE_OUT_APPLIED, S.IN_RECTIFICATION): (_("退回整改"), True, False),
        (S.CLOSED, S.IN_RECTIFICATION): (_("回头看发现反弹，重新打开"), True, False),
    }
    label, needs_note, takes_files = labels[(current, to)]
    return {"to": to, "label": label, "needs_note": needs_note, "takes_files": takes_files}


@login_required
def problem_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    problems = problem_list_with_measures_for(user=request.user).filter(pk=problem.pk)
    return _pdf_response(request, problems, _("整改问题档案 %(c)s") % {"c": problem.code}, problem.code, detailed=True)


@login_required
@require_POST
def problem_transition(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    form = TransitionForm(request.POST, request.FILES)
    deciding = form.is_valid() and problem.status == Problem.Status.CLOSE_OUT_APPLIED
    # Verifying or sending back a close-out (销号) is a decision: say what it will do, decide on Confirm only
    # (a send-back without its reason goes straight to the service, which says what is missing).
    if (
        deciding
        and not form.cleaned_data["confirm"]
        and (form.cleaned_data["to"] == Problem.Status.CLOSED or form.cleaned_data["note"].strip())
    ):
        to, note = form.cleaned_data["to"], form.cleaned_data["note"]
        context = _detail_context(request, problem)
        context["confirm"] = {"to": to, "note": note, "what": close_out_decision_summary(problem=problem, to=to)}
        return render(request, "rectification/problem_detail.html", context)
    if form.is_valid():
        try:
            services.problem_transition(
                problem_id=problem.id,
                to=form.cleaned_data["to"],
                actor=request.user,
                note=form.cleaned_data["note"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("状态已更新。"))
    else:
        messages.error(request, _("提交的数据有误。"))
    return redirect(problem)


@login_required
@require_POST
def problem_recheck(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    try:
        services.problem_recheck_confirm(problem_id=problem.id, actor=request.user, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已记录回头看结果。"))
    return redirect(problem)


@login_required
@require_POST
def measure_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    form = MeasureForm(request.POST, problem=problem)
    if form.is_valid():
        try:
            services.measure_add(problem_id=problem.id, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已新增整改措施。"))
    else:
        messages.error(
            request, _("提交的数据有误：%(e)s") % {"e": "; ".join(" ".join(map(str, v)) for v in form.errors.values())}
        )
    return redirect(problem)


@login_required
@require_POST
def progress_create(request: AuthenticatedHttpRequest, measure_id: int) -> HttpResponse:
    measure = measure_get_for(user=request.user, measure_id=measure_id)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.progress_update_add(measure_id=measure.id, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已填报进展。"))
    else:
        messages.error(
            request, _("提交的数据有误：%(e)s") % {"e": "; ".join(" ".join(map(str, v)) for v in form.errors.values())}
        )
    return redirect(measure.problem)


@login_required
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    evidence = evidence_get_for(user=request.user, evidence_id=pk)
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
