"""The problem page's recurrence suggestions (疑似反弹): a leader confirms or dismisses each one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest
from staff.models import User

from . import services
from .models import Problem, RecurrenceSuggestion
from .selectors import problem_get_for
from .services.recurrence import reasons_text


def recurrence_context(user: User, problem: Problem) -> dict[str, Any]:
    suggestions = list(problem.recurrence_suggestions.select_related("decided_by"))
    for suggestion in suggestions:
        suggestion.reasons_label = reasons_text(suggestion.reasons, suggestion.similarity)  # type: ignore[attr-defined]
    return {
        "recurrence_suggestions": suggestions,
        "can_decide_recurrence": access.can_lead(user, problem.centre_id),
    }


@login_required
@require_POST
def recurrence_decide(request: AuthenticatedHttpRequest, pk: int, suggestion_id: int, decision: str) -> HttpResponse:
    problem = problem_get_for(user=request.user, problem_id=pk)
    actions = {"confirm": services.recurrence_confirm, "dismiss": services.recurrence_dismiss}
    if decision not in actions:
        raise Http404
    try:
        suggestion = actions[decision](
            problem_id=problem.id, suggestion_id=suggestion_id, actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if suggestion.status == RecurrenceSuggestion.Status.CONFIRMED:
            messages.success(request, _("已确认反弹，问题已重新打开整改。"))
        else:
            messages.success(request, _("已排除该疑似反弹。"))
    return redirect(problem)
