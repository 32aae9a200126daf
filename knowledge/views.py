"""Screens: search (htmx live results), question page, editor with versions, review queue, import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.selectors import matter_type_list
from govservice import access
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest
from staff.selectors import scope_to_user

from . import selectors, services
from .forms import FeedbackForm, ImportForm, QuestionForm, ResolveTaskForm, TransitionForm
from .models import AnswerFeedback, ImportBatch, Question, ReviewTask

if TYPE_CHECKING:
    # django-stubs' helper package is a development requirement only: types, never imported at run time.
    from django_stubs_ext import StrPromise

S = Question.Status


# --- search and reading -------------------------------------------------------------------


@login_required
def search(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    result = selectors.question_search_for(user=request.user, query=query) if query else None
    context = {"query": query, "result": result}
    if request.htmx:
        return render(request, "knowledge/_results.html", context)
    return render(request, "knowledge/search.html", context)


@login_required
def question_detail(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = selectors.question_get_for(user=request.user, question_id=question_id)
    today = timezone.localdate()
    answerable = question.status == S.PUBLISHED and question.is_current(today)
    mine = AnswerFeedback.objects.filter(question=question, user=request.user).first() if answerable else None
    context = {
        "question": question,
        "answerable": answerable,
        "current": question.is_current(today),
        "repealed": bool(question.policy_repealed_on and question.policy_repealed_on <= today),
        "my_feedback": mine,
        "feedback_form": FeedbackForm(),
        "can_manage": access.can_review_any_question(request.user),
    }
    return render(request, "knowledge/question.html", context)


@login_required
@require_POST
def question_feedback(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    question = selectors.answerable_get_for(user=request.user, question_id=question_id)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.answer_mark(
                question=question,
                user=request.user,
                verdict=form.cleaned_data["verdict"],
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("谢谢，您的评价已记录。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请选择评价。"))
    return redirect("knowledge:question", question_id=question.id)


@login_required
def for_matter_type(request: AuthenticatedHttpRequest, matter_type_id: int | None = None) -> HttpResponse:
    """htmx partial for the case screen: the answerable questions linked to one matter type.

    `/knowledge/for-matter/<id>/` for a known matter type, or `/knowledge/for-matter/?matter_type=<id>`
    for a form's select (hx-include the select, hx-trigger="change").
    """
    if matter_type_id is None:
        raw = request.GET.get("matter_type", "")
        if not raw.isdigit():
            return HttpResponse("")
        matter_type_id = int(raw)
    matter_type = get_object_or_404(scope_to_user(matter_type_list(active=False), request.user), id=matter_type_id)
    query = request.GET.get("q", "").strip()
    if query:
        result = selectors.question_search_for(user=request.user, query=query, limit=10)
        questions = [hit.question for hit in result.hits]
    else:
        questions = list(selectors.questions_for_matter_type(user=request.user, matter_type_id=matter_type.id))
    return render(
        request, "knowledge/_for_matter_type.html", {"matter_type": matter_type, "questions": questions, "query": query}
    )


# --- editing ------------------------------------------------------------------------------


def _require_reviewer(request: AuthenticatedHttpRequest) -> None:
    if not access.can_review_any_question(request.user):
        raise Http404


def _form_choices(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    return {
        "departments": selectors.departments_for_editor(user=request.user),
        "matter_types": scope_to_user(matter_type_list(), request.user).order_by("code"),
    }


@login_required
def manage_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reviewer(request)
    status = request.GET.get("status", "")
    status = status if status in S.values else ""
    department = request.GET.get("department", "")
    department_id = int(department) if department.isdigit() else None
    if department == "" and request.user.department_id and "department" not in request.GET:
        department_id = request.user.department_id
    queryset = selectors.question_list_for_editor(user=request.user, status=status, department_id=department_id)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": S.choices,
        "department_id": department_id,
        "departments": selectors.departments_for_editor(user=request.user),
        "can_create": access.can_edit_any_question(request.user),
    }
    return render(request, "knowledge/manage_list.html", context)


@login_required
def manage_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.can_edit_any_question(request.user) or (centre := request.user.centre) is None:
        raise Http404
    choices = _form_choices(request)
    initial = {"department": request.user.department_id}
    form = QuestionForm(request.POST or None, initial=initial, **choices)
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_create(
                centre=centre, actor=request.user, data=form.to_data(), note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("knowledge:manage-detail", question_id=question.id)
    return render(request, "knowledge/manage_form.html", {"form": form, "question": None})


@login_required
def manage_edit(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    _require_reviewer(request)
    question = selectors.question_get_for(user=request.user, question_id=question_id)
    choices = _form_choices(request)
    form = QuestionForm(request.POST or None, initial=QuestionForm.initial_for(question), **choices)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_update(
                question_id=question.id, actor=request.user, data=form.to_data(), note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已保存。"))
            return redirect("knowledge:manage-detail", question_id=question.id)
    return render(request, "knowledge/manage_form.html", {"form": form, "question": question})


# Lazy: built once at import, shown in each request's language.
TRANSITION_LABELS: dict[tuple[str, str], StrPromise] = {
    (S.DRAFT, S.IN_REVIEW): gettext_lazy("提交部门审核"),
    (S.DRAFT, S.RETIRED): gettext_lazy("下线"),
    (S.IN_REVIEW, S.PUBLISHED): gettext_lazy("审核通过并发布"),
    (S.IN_REVIEW, S.LEGAL_REVIEW): gettext_lazy("审核通过，转法制审核"),
    (S.IN_REVIEW, S.DRAFT): gettext_lazy("退回修改"),
    (S.LEGAL_REVIEW, S.PUBLISHED): gettext_lazy("法制审核通过并发布"),
    (S.LEGAL_REVIEW, S.DRAFT): gettext_lazy("退回修改"),
    (S.PUBLISHED, S.DRAFT): gettext_lazy("撤回为草稿（窗口暂不可见）"),
    (S.PUBLISHED, S.RETIRED): gettext_lazy("下线"),
    (S.RETIRED, S.DRAFT): gettext_lazy("恢复为草稿"),
}


def _actions_for(question: Question) -> list[tuple[str, str]]:
    actions = []
    for to in sorted(Question.TRANSITIONS[question.status]):
        if question.status == S.IN_REVIEW and to == S.PUBLISHED and question.needs_legal_review:
            continue
        if question.status == S.IN_REVIEW and to == S.LEGAL_REVIEW and not question.needs_legal_review:
            continue
        actions.append((to, str(TRANSITION_LABELS[(question.status, to)])))
    return actions


@login_required
def manage_detail(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    _require_reviewer(request)
    question = selectors.question_get_for(user=request.user, question_id=question_id)
    editor = access.can_edit_question(request.user, centre_id=question.centre_id, department_id=question.department_id)
    context = {
        "question": question,
        "versions": question.versions.select_related("author")[:20],
        "events": question.events.select_related("actor"),
        "tasks": question.review_tasks.select_related("raised_by", "resolved_by"),
        "actions": _actions_for(question),
        "can_edit": question.status == S.DRAFT and editor,
        # A published question changes through a revision; window staff keep the published text meanwhile.
        "can_revise": question.status == S.PUBLISHED and not question.is_revision and editor,
        "revision": services.open_revision(question) if not question.is_revision else None,
        "current": question.is_current(timezone.localdate()),
        "resolve_form": ResolveTaskForm(),
    }
    return render(request, "knowledge/manage_detail.html", context)


@login_required
@require_POST
def manage_transition(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    _require_reviewer(request)
    question = selectors.question_get_for(user=request.user, question_id=question_id)
    form = TransitionForm(request.POST)
    shown = question
    if form.is_valid():
        try:
            shown = services.question_transition(
                question_id=question.id, to=form.cleaned_data["to"], actor=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if shown.id != question.id:  # a revision was approved: it now lives in its original
                messages.success(request, _("修订稿已审核发布，内容已并入原问答。"))
            else:
                messages.success(request, _("状态已更新。"))
    return redirect("knowledge:manage-detail", question_id=shown.id)


@login_required
@require_POST
def manage_revise(request: AuthenticatedHttpRequest, question_id: int) -> HttpResponse:
    """Start (or reopen) the revision of a published question and go to its form."""
    _require_reviewer(request)
    question = selectors.question_get_for(user=request.user, question_id=question_id)
    try:
        revision = services.question_revise(question_id=question.id, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("knowledge:manage-detail", question_id=question.id)
    return redirect("knowledge:manage-edit", question_id=revision.id)


@login_required
@require_POST
def task_resolve(request: AuthenticatedHttpRequest, task_id: int) -> HttpResponse:
    _require_reviewer(request)
    task = get_object_or_404(ReviewTask, id=task_id)
    question = selectors.question_get_for(user=request.user, question_id=task.question_id)
    form = ResolveTaskForm(request.POST)
    if form.is_valid():
        try:
            services.review_task_resolve(
                task_id=task.id, actor=request.user, resolution=form.cleaned_data["resolution"]
            )
            messages.success(request, _("复核任务已处理。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("请写明处理结果。"))
    return redirect("knowledge:manage-detail", question_id=question.id)


@login_required
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reviewer(request)
    departments = list(selectors.departments_for_editor(user=request.user))
    wanted = request.GET.get("department") or (str(request.user.department_id) if request.user.department_id else "")
    department = next((d for d in departments if str(d.id) == wanted), departments[0] if departments else None)
    queue = selectors.review_queue_for(user=request.user, department=department) if department else None
    return render(
        request, "knowledge/review_queue.html", {"departments": departments, "department": department, "queue": queue}
    )


# --- import -------------------------------------------------------------------------------


@login_required
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.is_administrator(request.user) or (centre := request.user.centre) is None:
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = ImportBatch.objects.create(
            centre=centre,
            uploaded_by=request.user,
            file=upload,
            file_name=upload.name[:200],
            publish=form.cleaned_data["publish"],
        )
        from .tasks import import_batch_run

        transaction.on_commit(lambda: import_batch_run.delay(batch.id))
        return redirect("knowledge:import-status", batch_id=batch.id)
    batches = ImportBatch.objects.filter(centre=centre).select_related("uploaded_by")[:10]
    return render(request, "knowledge/import.html", {"form": form, "batches": batches})


@login_required
def import_status(request: AuthenticatedHttpRequest, batch_id: int) -> HttpResponse:
    if not access.is_administrator(request.user):
        raise Http404
    batch = get_object_or_404(scope_to_user(ImportBatch.objects.all(), request.user), id=batch_id)
    running = batch.status in {ImportBatch.Status.PENDING, ImportBatch.Status.VALIDATING, ImportBatch.Status.IMPORTING}
    template = "knowledge/_import_progress.html" if request.htmx else "knowledge/import_status.html"
    return render(request, template, {"batch": batch, "running": running})
