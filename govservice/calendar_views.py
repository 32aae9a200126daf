"""The working-calendar screen: pick a year, load it from the package or enter the notice's
ranges, preview twelve months, save; then the summary of the deadlines that moved."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import access
from .calendar_forms import YearForms
from .calendar_hooks import deadline_kind_label
from .calendar_year import (
    YearPlan,
    calendar_year_save,
    month_grids,
    package_knows,
    year_in_range,
    year_is_entered,
    year_plan_from_package,
    year_plan_from_table,
)
from .exceptions import ValidationFailed
from .models import WorkCalendarChange, WorkCalendarYear


def _require_editor(request: HttpRequest) -> None:
    if not access.can_edit_work_calendar(request.user):
        raise PermissionDenied


@dataclass(frozen=True)
class YearRow:
    year: int
    in_package: bool
    entered: bool
    source: str
    last_change: WorkCalendarChange | None


@login_required
def calendar_years(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    this_year = timezone.localdate().year
    entries = {entry.year: entry for entry in WorkCalendarYear.objects.all()}
    years = sorted({*range(this_year - 1, this_year + 3), *entries})
    last_changes: dict[int, WorkCalendarChange] = {}
    for change in WorkCalendarChange.objects.filter(year__in=years).select_related("actor").order_by("created_at"):
        last_changes[change.year] = change
    rows = [
        YearRow(
            year=year,
            in_package=package_knows(year),
            entered=bool(entries.get(year) and entries[year].is_complete),
            source=entries[year].source if year in entries else "",
            last_change=last_changes.get(year),
        )
        for year in reversed(years)
        if year_in_range(year)
    ]
    return render(request, "govservice/calendar_years.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def calendar_year_edit(request: HttpRequest, year: int) -> HttpResponse:
    _require_editor(request)
    if not year_in_range(year):
        raise Http404
    in_package = package_knows(year)
    grids = None
    plan: YearPlan | None
    if request.method == "POST":
        forms = YearForms(year, request.POST)
        if forms.is_valid():
            plan = forms.plan()
            if request.POST.get("action") == "save":
                try:
                    change = calendar_year_save(plan=plan, actor=request.user)
                except ValidationFailed as exc:
                    forms.source.add_error(None, exc.message)
                else:
                    return redirect("calendar-change", pk=change.pk)
            else:
                # Shown again unbound, with the entered rows and three empty ones for more.
                forms = YearForms(year, plan=plan)
                grids = month_grids(plan)
    else:
        from_package = request.GET.get("from") == "package"
        plan = year_plan_from_package(year) if from_package else year_plan_from_table(year)
        if plan is None and not from_package:
            plan = year_plan_from_package(year)
        forms = YearForms(year, plan=plan)
        if plan is not None:
            grids = month_grids(plan)
    context = {
        "year": year,
        "forms": forms,
        "grids": grids,
        "in_package": in_package,
        "entered": year_is_entered(year),
        "package_url": f"{reverse('calendar-year', args=[year])}?from=package",
    }
    return render(request, "govservice/calendar_year.html", context)


@login_required
def calendar_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    change = get_object_or_404(WorkCalendarChange.objects.select_related("actor"), pk=pk)
    moved = [(deadline_kind_label(code), count) for code, count in change.moved.items()]
    return render(request, "govservice/calendar_change.html", {"change": change, "moved": moved})
