"""The citizen's status page of a complaint (no login): the timeline, the answer, "not solved", the rating.

Look-up: the tracking number and the last four digits of the phone left with the complaint (a complaint
without a phone, e.g. an anonymous one, by the tracking number alone: the thanks page says to keep it).
Every look-up counts against the per-address `lookup` rate (`THROTTLE_LOOKUP`, the counter the
channel API's status look-up uses too), and five wrong last-four digits lock a tracking number for an hour, so
the four digits cannot be tried out from many addresses. A successful look-up lets this browser session
see that one complaint (the session remembers it, the URL carries no secret).

The page shows no personal data: the answering unit and role, never the staff member.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework.request import Request

from govservice import access
from govservice.exceptions import DomainError, ValidationFailed
from govservice.numbers import normalize_phone
from govservice.throttling import SlidingWindowThrottle

from .models import ActorKind, Complaint, ComplaintEvent, EvaluationLevel
from .services.citizen import RATABLE, complaint_citizen_rate, complaint_citizen_reopen

SESSION_KEY = "complaint_status_access"
SESSION_KEEP = 5  # complaints one browser session may keep open
FAILED_LIMIT = 5
FAILED_LOCK_SECONDS = 3600


class StatusLookupThrottle(SlidingWindowThrottle):
    """Per client address, the `lookup` rate; the same counter as intake's LookupThrottle."""

    scope = "lookup"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookupForm(forms.Form):
    no = forms.CharField(label=gettext_lazy("投诉建议编号"), max_length=30)
    last4 = forms.RegexField(
        label=gettext_lazy("联系电话后四位"),
        regex=r"^\d{4}$",
        required=False,
        max_length=4,
        error_messages={"invalid": gettext_lazy("请填写 4 位数字。")},
        help_text=gettext_lazy("投诉时留了电话的，请填写电话号码的后四位；匿名投诉不用填写。"),
    )

    def clean_no(self) -> str:
        return self.cleaned_data["no"].strip().upper()

    def clean_last4(self) -> str:
        return normalize_phone(self.cleaned_data.get("last4") or "")


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("哪些问题没有解决？"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("您对本次投诉的办理满意吗？"),
        choices=sorted(EvaluationLevel.choices, reverse=True),
        coerce=int,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("想说的话（选填）"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


@dataclass
class TimelineEntry:
    at: datetime
    text: str
    detail: str = ""
    answered_by: str = ""


def _answered_by(event: ComplaintEvent, complaint: Complaint) -> str:
    """The answering unit and role, never the person: "综合窗口科 · 承办工作人员" or "中心领导"."""
    actor = event.actor
    if actor is not None and access.is_leader(actor):
        return _("中心领导")
    department = getattr(actor, "department", None) or complaint.department
    unit = department.name if department is not None else complaint.centre.name
    return _("%(unit)s · 承办工作人员") % {"unit": unit}


def public_timeline(complaint: Complaint) -> list[TimelineEntry]:
    """The history in plain words for the citizen; internal steps (classification, notes) are left out."""
    entries: list[TimelineEntry] = []
    events = complaint.events.select_related("actor__department").order_by("created_at", "id")
    for event in events:
        by_citizen = event.actor_kind in ActorKind.values
        new = event.new_status
        if not event.old_status and new == Complaint.Status.RECEIVED:
            text = _("已受理（经%(channel)s）") % {"channel": complaint.channel.name}
            entries.append(TimelineEntry(complaint.received_at, text))
        elif new == Complaint.Status.ASSIGNED and event.old_status != new:
            entries.append(TimelineEntry(event.created_at, _("已转交承办部门办理")))
        elif new == Complaint.Status.REPLIED and event.old_status != new:
            entries.append(
                TimelineEntry(
                    event.created_at, _("已答复"), detail=event.note, answered_by=_answered_by(event, complaint)
                )
            )
        elif new == Complaint.Status.REOPENED and by_citizen:
            text = _("您反映答复未解决，已转中心领导重新办理")
            entries.append(TimelineEntry(event.created_at, text, detail=complaint.citizen_reopen_reason))
        elif new == Complaint.Status.REOPENED:
            entries.append(TimelineEntry(event.created_at, _("回访后重新办理")))
        elif new == Complaint.Status.CLOSED:
            entries.append(TimelineEntry(event.created_at, _("已办结")))
        elif new == Complaint.Status.MERGED:
            entries.append(TimelineEntry(event.created_at, _("已与相同的反映合并办理")))
        elif new == Complaint.Status.RETURNED:
            entries.append(TimelineEntry(event.created_at, _("已退回12345热线重新派单")))
        elif by_citizen and complaint.citizen_rating is not None and not new:
            label = EvaluationLevel(complaint.citizen_rating).label
            entries.append(TimelineEntry(event.created_at, _("您评价了办理结果：%(level)s") % {"level": label}))
    return entries


def _failed_key(number: str) -> str:
    return f"complaints:status:failed:{number}"


def _last4_matches(complaint: Complaint, last4: str) -> bool:
    phone = normalize_phone(complaint.contact_phone)
    if not phone:
        return True  # no phone was left: the tracking number alone
    return bool(last4) and hmac.compare_digest(phone[-4:], last4)


def _remember(request: HttpRequest, complaint: Complaint, actor_kind: str) -> None:
    allowed = dict(request.session.get(SESSION_KEY, {}))
    allowed.pop(str(complaint.public_id), None)
    allowed[str(complaint.public_id)] = actor_kind
    request.session[SESSION_KEY] = dict(list(allowed.items())[-SESSION_KEEP:])


@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None, initial={"no": (request.GET.get("no") or "")[:30]})
    context: dict[str, Any] = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "complaints/status_lookup.html", context, status=400 if form.is_bound else 200)
    throttle = StatusLookupThrottle()
    number, last4 = form.cleaned_data["no"], form.cleaned_data["last4"]
    if not throttle.allow_request(Request(request), None) or cache.get(_failed_key(number), 0) >= FAILED_LIMIT:
        context["throttled"] = True
        response = render(request, "complaints/status_lookup.html", context, status=429)
        response["Retry-After"] = str(int(throttle.wait() or 60) + 1)
        return response
    complaint = Complaint.objects.filter(tracking_no=number).first()
    if complaint is None or not _last4_matches(complaint, last4):
        if complaint is not None:
            cache.add(_failed_key(number), 0, FAILED_LOCK_SECONDS)
            cache.incr(_failed_key(number))
        context["not_found"] = True
        return render(request, "complaints/status_lookup.html", context, status=404)
    _remember(request, complaint, ActorKind.CITIZEN if complaint.contact_phone else ActorKind.ANONYMOUS)
    return redirect("complaints:status-detail", public_id=complaint.public_id)


def _allowed(request: HttpRequest, public_id: object) -> tuple[Complaint, str] | None:
    actor_kind = request.session.get(SESSION_KEY, {}).get(str(public_id))
    if actor_kind is None:
        return None
    complaint = (
        Complaint.objects.select_related("centre", "channel", "department").filter(public_id=str(public_id)).first()
    )
    return (complaint, actor_kind) if complaint is not None else None


@require_http_methods(["GET", "POST"])
def status_detail(request: HttpRequest, public_id: object) -> HttpResponse:
    found = _allowed(request, public_id)
    if found is None:
        return redirect(reverse("complaints:status"))
    complaint, actor_kind = found
    reopen_form, rating_form = ReopenForm(), RatingForm()
    confirm_reopen = False
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "reopen":
        reopen_form = ReopenForm(request.POST)
        if reopen_form.is_valid():
            if request.POST.get("confirmed") == "1":
                if _run(
                    reopen_form,
                    lambda d: complaint_citizen_reopen(
                        complaint_id=complaint.id, reason=d["reason"], actor_kind=actor_kind
                    ),
                ):
                    return redirect(request.path)
            else:
                confirm_reopen = True  # the decision is taken only on the confirmation step
    elif request.method == "POST" and action == "rate":
        rating_form = RatingForm(request.POST)
        if rating_form.is_valid() and _run(
            rating_form,
            lambda d: complaint_citizen_rate(
                complaint_id=complaint.id, level=d["level"], note=d["note"], actor_kind=actor_kind
            ),
        ):
            return redirect(request.path)
    complaint.refresh_from_db()
    can_reopen = (
        complaint.status == Complaint.Status.REPLIED
        and complaint.citizen_reopened_at is None
        and complaint.citizen_rating is None
    )
    context = {
        "complaint": complaint,
        "timeline": public_timeline(complaint),
        "reopen_form": reopen_form,
        "rating_form": rating_form,
        "confirm_reopen": confirm_reopen,
        "can_reopen": can_reopen,
        "reopened_once": complaint.citizen_reopened_at is not None,
        "can_rate": complaint.status in RATABLE and complaint.citizen_rating is None,
        "rating_label": EvaluationLevel(complaint.citizen_rating).label if complaint.citizen_rating else "",
    }
    status = 400 if reopen_form.errors or rating_form.errors else 200
    return render(request, "complaints/status_detail.html", context, status=status)


def _run(form: forms.Form, call: Any) -> bool:
    """Call the service; a refusal goes on the form (its field if it names one), the input kept."""
    try:
        call(form.cleaned_data)
    except DomainError as exc:
        # A rule about the input goes next to its field; a refusal of the step itself (done already) above the form.
        field = exc.field if isinstance(exc, ValidationFailed) and exc.field in form.fields else None
        form.add_error(field, exc.message)
        return False
    return True
