"""The duty leader's live queue view: who waits, for how long, what each window is doing; refreshed by htmx."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from govservice import access
from staff.http import AuthenticatedHttpRequest
from staff.selectors import centre_list_for

from .selectors import queue_centre_for, queue_live

# Seconds between two refreshes of the live view's panel.
POLL_SECONDS = 15


@login_required
def queue_live_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    centre = queue_centre_for(user=request.user, code=request.GET.get("centre", "")[:20])
    if centre is None:
        raise Http404  # another centre's queue, or none to watch: as if there were no such page
    context = {"live": queue_live(centre=centre), "poll_seconds": POLL_SECONDS}
    if request.htmx:
        return render(request, "intake/queue/_live_panel.html", context)
    # City-wide watchers choose the centre; everyone else watches their own.
    context["centres"] = centre_list_for(user=request.user) if access.is_city_wide(request.user) else []
    return render(request, "intake/queue/live.html", context)
