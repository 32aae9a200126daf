"""The leader records a reminder talk (提醒谈话): when it was held and what was said."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from staff.http import AuthenticatedHttpRequest
from staff.selectors import scope_to_user

from . import scoring
from .models import ReminderTalk, TrainingEnrolment


class ReminderTalkForm(forms.Form):
    held_at = forms.DateTimeField(label=_lazy("谈话时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    notes = forms.CharField(label=_lazy("谈话内容"), widget=forms.Textarea, max_length=2000)


@login_required
@require_POST
def reminder_talk_record(request: AuthenticatedHttpRequest, talk_id: int) -> HttpResponse:
    talk = get_object_or_404(scope_to_user(ReminderTalk.objects.all(), request.user), id=talk_id)
    form = ReminderTalkForm(request.POST)
    if form.is_valid():
        try:
            scoring.reminder_talk_record(
                talk_id=talk.id,
                actor=request.user,
                notes=form.cleaned_data["notes"],
                held_at=form.cleaned_data["held_at"],
            )
            messages.success(request, _("提醒谈话已记录。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else str(error))
    return redirect(reverse("staff:score-months") + "#reminder-talks")


@login_required
@require_POST
def training_enrolment_assign(request: AuthenticatedHttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(scope_to_user(TrainingEnrolment.objects.all(), request.user), id=enrolment_id)
    try:
        session_id = int(request.POST.get("session", ""))
    except ValueError:
        messages.error(request, _("请选择培训场次。"))
    else:
        try:
            scoring.training_enrolment_assign(enrolment_id=enrolment.id, session_id=session_id, actor=request.user)
            messages.success(request, _("已安排培训场次。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect(reverse("staff:training") + f"#enrolment-{enrolment.id}")
