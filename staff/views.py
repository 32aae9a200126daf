from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govservice import access
from govservice.workdays import WorkCalendar

from .http import AuthenticatedHttpRequest
from .models import Role


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
    }
    return render(request, "staff/home.html", context)
