from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from govservice import access
from govservice.exceptions import DomainError
from govservice.workdays import WorkCalendar

from . import home_notes, selectors, services, workload
from .forms import AbsenceForm, ReassignWorkForm
from .http import AuthenticatedHttpRequest
from .models import Role, User


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The role's home page: what this person works with, as cards."""
    user = request.user
    calendar = WorkCalendar.load()
    next_year = timezone.localdate().year + 1
    roles = [label for value, label in Role.choices if value in user.role_set]
    context = {
        "roles": roles,
        "today_provisional": not calendar.is_known_year(next_year) and access.is_administrator(user),
        "notes": home_notes.notes_for(user),
    }
    return render(request, "staff/home.html", context)


# --- people: absence, leaving, and handing over their open work ------------------------------------


def _person_for_leader(request: AuthenticatedHttpRequest, person_id: int) -> User:
    person = selectors.person_get_for(user=request.user, person_id=person_id)
    if not access.can_reassign_work(request.user, person.centre_id):
        raise PermissionDenied
    return person


@login_required
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.is_leader(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    staff = list(selectors.people_list_for(user=request.user))
    away = selectors.absent_user_ids(user_ids={person.id for person in staff}, start=today, end=today)
    rows = [(person, person.id in away) for person in staff]
    return render(request, "staff/people.html", {"rows": rows})


@login_required
def person(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = _person_for_leader(request, person_id)
    form = AbsenceForm()
    if request.method == "POST":
        form = AbsenceForm(request.POST)
        if form.is_valid():
            try:
                services.absence_record(person=person, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已登记缺勤。请确认其未办结的工作是否需要转交。"))
                return redirect("person-work", person_id=person.id)
    context = {
        "person": person,
        "form": form,
        "absences": selectors.absences_of(person)[:20],
        "events": selectors.staff_events_of(person)[:50],
        "open_count": sum(len(items) for _provider, items in workload.open_work_of(person)),
    }
    return render(request, "staff/person.html", context)


@login_required
@require_POST
def person_deactivate(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = _person_for_leader(request, person_id)
    try:
        services.staff_deactivate(person=person, actor=request.user, note=request.POST.get("note", ""))
    except services.OpenWorkRemains as exc:
        messages.warning(request, exc.message)
        return redirect(reverse("person-work", kwargs={"person_id": person.id}) + "?then=deactivate")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已停用 %(person)s 的账号。") % {"person": person})
    return redirect("person", person_id=person.id)


@login_required
def person_work(request: AuthenticatedHttpRequest, person_id: int) -> HttpResponse:
    person = _person_for_leader(request, person_id)
    groups = workload.open_work_of(person)
    choices = [(f"{item.kind}:{item.id}", item.label) for _provider, items in groups for item in items]
    form = ReassignWorkForm(person=person, choices=choices)
    then_deactivate = request.GET.get("then") == "deactivate"
    if request.method == "POST":
        form = ReassignWorkForm(request.POST, person=person, choices=choices)
        if form.is_valid():
            try:
                events = services.work_reassign(
                    person=person,
                    to_user=form.cleaned_data["to_user"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    items=form.cleaned_data["items"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("已将 %(n)d 项工作转交给 %(to)s。") % {"n": len(events), "to": form.cleaned_data["to_user"]},
                )
                return redirect(request.get_full_path())
    context = {
        "person": person,
        "groups": groups,
        "form": form,
        "then_deactivate": then_deactivate and not groups and person.is_active,
        "asked_to_deactivate": then_deactivate,
    }
    return render(request, "staff/person_work.html", context)


@login_required
def my_work(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything the signed-in person owns and has not finished (what a reassignment notice points to)."""
    return render(request, "staff/my_work.html", {"groups": workload.open_work_of(request.user)})
