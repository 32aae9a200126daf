"""Logging a case at the counter, in two steps: the form, then a short confirmation of the decision.

Keyboard habits never decide: Enter in a field submits nothing (the form's default button is a disabled
one, so the browser's implicit submission does nothing, with or without JS), the decision is the button
pressed, and the confirmation lists what will be recorded as received and deferred before anything is
written. The confirmation is a page of its own, so it works without JS.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from govservice.masking import mask_id_number, mask_name, mask_phone
from staff.http import AuthenticatedHttpRequest

from .. import documents, selectors, services
from ..counter import Decision, material_errors, split_materials
from ..forms import CaseLogForm
from ..models import Case, Commitment, Material

# What the confirmation page carries back in hidden fields: the form's own fields only.
_STEP_KEYS = ("csrfmiddlewaretoken", "decision", "confirm", "back")


def _materials(request: AuthenticatedHttpRequest, matter_types: Any) -> tuple[Any, list[Material]]:
    chosen_id = (request.POST if request.method == "POST" else request.GET).get("matter_type")
    if not chosen_id or not str(chosen_id).isdigit():
        return None, []
    chosen = matter_types.filter(id=chosen_id).prefetch_related("materials").first()
    return chosen, list(chosen.materials.all()) if chosen else []


def _initial_from(data: QueryDict, form: CaseLogForm) -> dict[str, Any]:
    """The posted values as the initial values of an unbound form ("back to the form": no errors shown)."""
    return {name: data.getlist(name) if name == "provided" else data.get(name) for name in form.fields if name in data}


def _focus_first_error(form: CaseLogForm) -> None:
    """Focus moves from the first field to the first field in error (the checklist has no single input)."""
    for name in form.fields:
        if name in form.errors and name != "provided":
            form.fields["matter_type"].widget.attrs.pop("autofocus", None)
            form.fields[name].widget.attrs["autofocus"] = True
            return


def _create(request: AuthenticatedHttpRequest, form: CaseLogForm) -> Case:
    cleaned = form.cleaned_data
    split = form.split()
    with transaction.atomic():
        case = services.case_create(
            actor=request.user,
            matter_type_id=cleaned["matter_type"].id,
            applicant_kind=cleaned["applicant_kind"],
            applicant_name=cleaned["applicant_name"],
            applicant_phone=cleaned["applicant_phone"],
            applicant_id_number=cleaned["applicant_id_number"],
            is_elderly=cleaned["is_elderly"],
            is_disabled=cleaned["is_disabled"],
            is_other_special=cleaned["is_other_special"],
            provided_material_ids=split.received_ids,  # a consultation records none
        )
        if form.decision == Decision.ACCEPT:
            services.case_accept(case_id=case.id, actor=request.user)
        elif form.decision == Decision.ACCEPT_DEFICIENT:
            services.case_accept_with_deficiencies(
                case_id=case.id,
                actor=request.user,
                deferred_material_ids=[m.id for m in split.deferred],  # catalogue ids
                submit_method=cleaned["submit_method"],
            )
    return case


@login_required
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    matter_types = selectors.matter_type_list_for(user=request.user)
    chosen, materials = _materials(request, matter_types)
    post = request.POST if request.method == "POST" else None
    decision = (post.get("confirm") or post.get("decision", "")) if post else ""
    form = CaseLogForm(post, matter_types=matter_types, materials=materials, decision=decision)
    if post is not None and (post.get("back") or not decision):
        # Back from the confirmation, or a submission that named no decision (Enter reaching the form's
        # hidden no-decision button): the form as it was, nothing checked, nothing written.
        form = CaseLogForm(initial=_initial_from(post, form), matter_types=matter_types, materials=materials)
    elif post is not None and form.is_valid():
        if not post.get("confirm"):
            return _confirmation(request, form)
        try:
            case = _create(request, form)
        except DomainError as exc:  # a rule the form could not see (e.g. a catalogue changed meanwhile)
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            case.refresh_from_db()
            messages.success(
                request,
                _("已登记办件 %(no)s（%(status)s）。") % {"no": case.tracking_no, "status": case.get_status_display()},
            )
            return redirect(case.get_absolute_url())
    if form.is_bound:
        _focus_first_error(form)
    form.fields["matter_type"].widget.attrs["hx-get"] = reverse("cases:new")
    if form.is_bound:
        ticked = {int(v) for v in post.getlist("provided") if v.isdigit()} if post else set()
    else:
        ticked = {int(v) for v in (form.initial.get("provided") or []) if str(v).isdigit()}
    return render(
        request,
        "cases/case_new.html",
        {
            "form": form,
            "matter": chosen,
            "materials": materials,
            "provided": ticked,
            "decide_hint": post is not None and not decision and not post.get("back"),
        },
    )


def decision_confirmation(
    request: AuthenticatedHttpRequest, case: Case, *, decision: str, provided: list[int]
) -> HttpResponse:
    """The same confirmation for a consultation accepted from its case page (views.actions.case_accept)."""
    materials = list(case.materials.all())
    problems = material_errors(materials, provided, decision)
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect(case.get_absolute_url())
    hidden = [(key, value) for key in request.POST for value in request.POST.getlist(key) if key not in _STEP_KEYS]
    context = {
        "form_action": reverse("cases:accept", args=[case.public_id]),
        "back_url": case.get_absolute_url(),
        "decision": decision,
        "decision_label": Decision(decision).label,
        "matter": case.matter_type,
        "split": split_materials(materials, provided, decision),
        "applicant": {
            "name": mask_name(case.applicant_name),
            "phone": mask_phone(case.applicant_phone),
            "id_number": mask_id_number(case.applicant_id_number),
        },
        "submit_method": dict(Commitment.SubmitMethod.choices).get(request.POST.get("submit_method") or "window", ""),
        "hidden": hidden,
    }
    response = render(request, "cases/case_confirm.html", context)
    response["Cache-Control"] = "no-store"  # the full numbers ride along in hidden fields
    return response


def _confirmation(request: AuthenticatedHttpRequest, form: CaseLogForm) -> HttpResponse:
    cleaned = form.cleaned_data
    matter = cleaned["matter_type"]
    hidden = [(key, value) for key in request.POST for value in request.POST.getlist(key) if key not in _STEP_KEYS]
    context = {
        "decision": form.decision,
        "decision_label": Decision(form.decision).label,
        "matter": matter,
        "split": form.split(),
        "applicant": {
            "name": mask_name(cleaned["applicant_name"]),
            "phone": mask_phone(cleaned["applicant_phone"]),
            "id_number": mask_id_number(cleaned["applicant_id_number"]),
        },
        "submit_method": dict(form.fields["submit_method"].choices).get(cleaned["submit_method"], ""),  # type: ignore[attr-defined]
        "hidden": hidden,
    }
    response = render(request, "cases/case_confirm.html", context)
    response["Cache-Control"] = "no-store"  # the full numbers ride along in hidden fields
    return response


# --- the commitment printed for signing ------------------------------------------------------------------


@login_required
@require_POST
def case_commitment_print(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """The commitment with the applicant's full name and ID number, for them to sign: a logged reveal
    (services.case_commitment_print), so a POST; never cached. The screen's copy stays masked."""
    case = selectors.case_get_for(user=request.user, public_id=public_id)
    try:
        services.case_commitment_print(case=case, viewer=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases:commitment", public_id=case.public_id)
    document = documents.commitment_document(case, for_signing=True)
    if request.POST.get("format") == "pdf" and documents.pdf_available():
        response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{case.tracking_no}-commitment.pdf"'
    else:
        response = render(
            request,
            "cases/document.html",
            {"case": case, "document": document, "kind": "commitment", "for_signing": True},
        )
    response["Cache-Control"] = "no-store"
    return response
