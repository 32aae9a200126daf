"""Staff screens for evaluations and the bad-review flow."""

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
from govservice.masking import mask_name, mask_phone
from staff.http import AuthenticatedHttpRequest

from .. import selectors, services
from ..deadlines import (
    bad_reviews_with_overdue_flags,
)
from ..filters import (
    BadReviewFilter,
    EvaluationFilter,
)
from ..forms import (
    AppealDecisionForm,
    CallbackForm,
    NoteForm,
    ReassignForm,
    RectifyForm,
    VerifyForm,
)
from ..models import BadReview, EvaluationTag
from .common import _labelled, _page, _run


@login_required
def evaluation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    queryset, metric = metrics.rows_for_list(
        request.GET, selectors.evaluation_list_for(user=request.user), request.user
    )
    filterset = EvaluationFilter(request.GET, queryset=queryset, request=request)
    page = _page(request, filterset.qs)
    tag_labels = dict(EvaluationTag.objects.values_list("code", "label"))
    for evaluation in page:
        evaluation.tag_labels = [tag_labels.get(code, code) for code in evaluation.tags]
    return render(request, "complaints/evaluation_list.html", {"filter": filterset, "page": page, "metric": metric})


@login_required
def bad_review_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    queryset, metric = metrics.rows_for_list(
        request.GET, selectors.bad_review_list_for(user=request.user), request.user
    )
    filterset = BadReviewFilter(request.GET, queryset=queryset, request=request)
    return render(
        request,
        "complaints/bad_review_list.html",
        {
            "filter": filterset,
            "metric": metric,
            "page": _page(request, bad_reviews_with_overdue_flags(filterset.qs, timezone.localdate())),
            "today": timezone.localdate(),
        },
    )


@login_required
def bad_review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
        "can_manage": access.can_manage_centre(request.user, bad_review.centre_id),
        "follow_up": getattr(evaluation, "follow_up", None),
        "today": timezone.localdate(),
        # The same rule as bad_review_decide_appeal: the form shows exactly when the decision is allowed.
        "can_decide_appeal": access.can_decide_appeal(request.user, bad_review),
        "can_reveal_text": services.can_reveal_text(evaluation, request.user),
    }
    return render(request, "complaints/bad_review_detail.html", context)


@login_required
@require_POST
def bad_review_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
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
