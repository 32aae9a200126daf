"""The commitment board: the public page, its Atom feed and JSON, and the leader's publish screen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from govservice import access
from govservice.exceptions import DomainError
from govservice.models import Centre
from govservice.selectors import centre_by_code
from staff.http import AuthenticatedHttpRequest
from staff.selectors import staff_names_of

from . import services
from .board import PublicItem, board_updated_at, commitment_of, public_items, public_wording
from .selectors import problem_get_for


def _centre(centre_code: str) -> Centre:
    centre = centre_by_code(centre_code)
    if centre is None:
        raise Http404
    return centre


@require_GET
def commitment_board(request: HttpRequest, centre_code: str) -> HttpResponse:
    """承诺公示: anyone may read it, on a phone or the hall's screen."""
    centre = _centre(centre_code)
    context = {"centre": centre, "items": public_items(centre), "updated_at": board_updated_at(centre)}
    return render(request, "rectification/board/commitments.html", context)


def _item_json(item: PublicItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "category": item.category,
        "category_label": item.category_label,
        "commitment": item.commitment,
        "progress": item.progress,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "status": item.status,
        "status_label": item.status_label,
        "closed_on": item.closed_on.isoformat() if item.closed_on else None,
        "published_at": item.published_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "measures": [
            {
                "description": m.description,
                "weight": m.weight,
                "progress": m.progress,
                "deadline": m.deadline.isoformat(),
                "completed": m.completed,
            }
            for m in item.measures
        ],
    }


@require_GET
def commitment_board_json(request: HttpRequest, centre_code: str) -> JsonResponse:
    """The same board for the centre's own website (read from another origin, so CORS is open: nothing here is private)."""
    centre = _centre(centre_code)
    updated = board_updated_at(centre)
    response = JsonResponse(
        {
            "centre": {"code": centre.code, "name": centre.name},
            "updated_at": updated.isoformat() if updated else None,
            "items": [_item_json(item) for item in public_items(centre)],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


class CommitmentFeed(Feed):
    """An Atom feed of the board: one entry per public problem, updated when it moves."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, centre_code: str) -> Centre:
        return _centre(centre_code)

    def title(self, obj: Centre) -> str:
        return _("%(centre)s · 整改承诺公示") % {"centre": obj.name}

    def link(self, obj: Centre) -> str:
        return reverse("board:commitments", args=[obj.code])

    def subtitle(self, obj: Centre) -> str:
        return _("中心公开承诺整改的问题、措施、进度与销号情况。")

    def items(self, obj: Centre) -> list[PublicItem]:
        self._centre_code = obj.code
        return public_items(obj)

    def item_title(self, item: PublicItem) -> str:
        return f"{item.code} · {item.category_label} · {item.status_label}"

    def item_description(self, item: PublicItem) -> str:
        lines = [item.commitment, _("整改进度：%(progress)d%%") % {"progress": item.progress}]
        if item.deadline:
            lines.append(_("整改时限：%(date)s") % {"date": item.deadline.isoformat()})
        if item.closed_on:
            lines.append(_("销号日期：%(date)s") % {"date": item.closed_on.isoformat()})
        return "\n".join(lines)

    def item_link(self, item: PublicItem) -> str:
        return reverse("board:commitments", args=[self._centre_code]) + f"#{item.code}"

    def item_guid(self, item: PublicItem) -> str:
        return f"commitment:{self._centre_code}:{item.code}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: PublicItem) -> Any:
        return item.published_at

    def item_updateddate(self, item: PublicItem) -> Any:
        return item.updated_at


class PublishForm(forms.Form):
    commitment = forms.CharField(
        label=gettext_lazy("公开承诺"),
        max_length=services.board.COMMITMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("面向群众的承诺内容。公示页上的手机号、身份证号和工作人员姓名会自动隐去。"),
    )


@login_required
def problem_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A leader makes a problem public (preview, then confirm) or private again (confirm)."""
    problem = problem_get_for(user=request.user, problem_id=pk)
    if not access.can_publish_commitment(request.user, problem):
        raise Http404
    current = commitment_of(problem)
    initial = {"commitment": current.commitment if current else problem.title}
    form = PublishForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                if request.POST.get("confirm") == "yes":
                    services.commitment_withdraw(problem_id=problem.id, actor=request.user)
                    messages.success(request, _("已撤回公示，公示页和订阅中已不再显示该问题。"))
                    return redirect(problem)
                return render(request, "rectification/board/withdraw_confirm.html", {"problem": problem})
            if form.is_valid():
                if request.POST.get("confirm") == "yes":
                    services.commitment_publish(
                        problem_id=problem.id, actor=request.user, commitment=form.cleaned_data["commitment"]
                    )
                    messages.success(request, _("已公示。"))
                    return redirect(problem)
                preview = public_wording(form.cleaned_data["commitment"], staff_names_of(centre_id=problem.centre_id))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            preview = None
    context = {
        "problem": problem,
        "form": form,
        "current": current,
        "preview": preview,
        "board_url": reverse("board:commitments", args=[problem.centre.code]),
        "now": timezone.now(),
    }
    return render(request, "rectification/board/publish.html", context)
