"""Staff screens for complaints and suggestions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access, metrics
from govservice.categories import ProblemCategory
from govservice.masking import mask_name, mask_phone, scrub
from govservice.workdays import WorkCalendar
from staff.http import AuthenticatedHttpRequest

from .. import selectors, services
from ..deadlines import complaint_is_overdue, complaints_with_overdue_flag
from ..filters import (
    ComplaintFilter,
)
from ..forms import (
    AssignForm,
    CallbackForm,
    ClassifyForm,
    MergeForm,
    ReplyForm,
    WaitForm,
    WorkOrderStepForm,
)
from ..models import Complaint
from ..work_order_clock import stage_clock
from .common import _labelled, _page, _run
from .work_orders import work_order_context


@login_required
def complaint_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    queryset, metric = metrics.rows_for_list(
        request.GET,
        complaints_with_overdue_flag(selectors.complaint_list_for(user=request.user), timezone.now()),
        request.user,
    )
    filterset = ComplaintFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset.qs.select_related("work_order"))
    now = timezone.now()
    calendar: WorkCalendar | None = None  # read only when the page shows a work order
    for complaint in page:
        complaint.masked_phone = mask_phone(complaint.contact_phone)
        order = getattr(complaint, "work_order", None)
        if order is not None:
            calendar = calendar or WorkCalendar.load()
            complaint.wo_clock = stage_clock(order, now, calendar)
    return render(request, "complaints/complaint_list.html", {"filter": filterset, "page": page, "metric": metric})


def complaint_detail_context(
    request: AuthenticatedHttpRequest,
    complaint: Complaint,
    *,
    work_order_confirming: WorkOrderStepForm | None = None,
    work_order_failed: WorkOrderStepForm | None = None,
) -> dict[str, Any]:
    centre_id = complaint.centre_id
    duplicates = services.complaint_duplicates(complaint)
    suggestion = services.suggest_category(complaint.content)
    return {
        "complaint": complaint,
        "masked_phone": mask_phone(complaint.contact_phone),
        "masked_name": mask_name(complaint.contact_name),
        "masked_other": scrub(mask_name(complaint.contact_other)),  # e-mail, WeChat…: masked like a name
        "events": _labelled(complaint.events.select_related("actor"), Complaint.Status),
        "suggestion": suggestion,
        "suggestion_label": dict(ProblemCategory.choices).get(suggestion, ""),
        "classify_form": ClassifyForm(
            centre_id=centre_id,
            initial={"category": complaint.category or suggestion, "problem": complaint.problem_id},
        ),
        "assign_form": AssignForm(
            centre_id=centre_id, initial={"department": complaint.department_id, "owner": complaint.owner_id}
        ),
        "reply_form": ReplyForm(),
        "wait_form": WaitForm(),
        "reply_overdue": complaint_is_overdue(complaint, timezone.now()),
        "callback_form": CallbackForm(),
        "duplicates": duplicates,
        "merge_form": MergeForm(candidates=duplicates) if duplicates else None,
        "sources": complaint.merged_sources.select_related("channel"),
        "can_manage": access.can_manage_centre(request.user, centre_id),
        "can_reveal_text": services.can_reveal_text(complaint, request.user),
        **work_order_context(request.user, complaint, confirming=work_order_confirming, failed=work_order_failed),
    }


@login_required
def complaint_detail(request: AuthenticatedHttpRequest, public_id: object) -> HttpResponse:
    complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
    return render(request, "complaints/complaint_detail.html", complaint_detail_context(request, complaint))


@login_required
@require_POST
def complaint_action(request: AuthenticatedHttpRequest, public_id: object, action: str) -> HttpResponse:
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
        "wait": (
            WaitForm(request.POST),
            lambda d: services.complaint_wait_for_citizen(complaint_id=cid, note=d["note"], actor=user),
            _("已暂停，等待群众补充。"),
        ),
        "resume": (
            WaitForm(request.POST),
            lambda d: services.complaint_resume(complaint_id=cid, note=d["note"], actor=user),
            _("已恢复办理。"),
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
