"""The verdict of a complaint's verification (属实 / 部分属实 / 不属实), set from the complaint's page."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from staff.http import AuthenticatedHttpRequest

from .. import selectors, services
from ..models import Complaint
from .common import _run


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(label=_lazy("核实结论"), choices=Complaint.Verdict.choices)
    note = forms.CharField(label=_lazy("核实情况"), widget=forms.Textarea, max_length=2000)


@login_required
@require_POST
def complaint_verdict(request: AuthenticatedHttpRequest, public_id: object) -> HttpResponse:
    complaint = selectors.complaint_get_for(user=request.user, public_id=public_id)
    _run(
        request,
        VerdictForm(request.POST),
        lambda d: services.complaint_verdict_set(
            complaint_id=complaint.id, verdict=d["verdict"], note=d["note"], actor=request.user
        ),
        _("核实结论已记录。"),
    )
    return redirect(complaint)
