"""The citizen's progress lookup (no login), rate-limited per address and per (tracking number, address)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .. import selectors, services
from ..forms import ProgressLookupForm
from ..models import Case, CaseMaterial
from ..timeline import citizen_timeline

LOOKUP_LIMIT = 10  # attempts per client address and per (tracking number, client address) ...
LOOKUP_WINDOW = 10 * 60  # ... per ten minutes


# --- the citizen's progress lookup (no login) ------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _rate_limited(*keys: str) -> bool:
    """Count an attempt under each key; True when any key is over the limit."""
    limited = False
    for key in keys:
        cache.add(key, 0, LOOKUP_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, LOOKUP_WINDOW)
            count = 1
        limited = limited or count > LOOKUP_LIMIT
    return limited


def progress_lookup(request: HttpRequest) -> HttpResponse:
    # The correction list's QR code carries the tracking number (?no=): the citizen types only the last four digits.
    form = ProgressLookupForm(request.POST or None, initial={"tracking_no": request.GET.get("no", "")[:30]})
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        tracking_no = form.cleaned_data["tracking_no"].strip().upper()
        ip = _client_ip(request)
        # Per number *and* address: a limit per number alone was shared by everyone, so anyone could block a
        # citizen's look-up by guessing at the (sequential) number from elsewhere.
        if _rate_limited(f"cases:lookup:ip:{ip}", f"cases:lookup:no:{tracking_no}:ip:{ip}"):
            form.add_error(None, _("查询过于频繁，请稍后再试。"))
            status = 429
        else:
            case = selectors.case_for_citizen(tracking_no=tracking_no, phone_last4=form.cleaned_data["phone_last4"])
            if case is None:
                form.add_error(None, _("未找到该办件，请核对办件编号和手机号后四位。"))
            else:
                clock = services.case_clock(case=case)
                outstanding = (
                    [m.name for m in case.materials.all() if m.state == CaseMaterial.State.DEFERRED]
                    if case.status == Case.Status.AWAITING_CORRECTION
                    else []
                )
                result = {
                    "tracking_no": case.tracking_no,
                    "matter": case.matter_type.name,
                    "centre": case.centre.name,
                    "status": case.get_status_display(),
                    "accepted_at": case.accepted_at,
                    "due_date": clock.due_date or case.due_date,
                    "clock": clock,
                    "correction_deadline": case.commitment.deadline if outstanding else None,
                    "outstanding": outstanding,
                    "completed_at": case.completed_at,
                    "timeline": citizen_timeline(case=case),
                }
    response = render(request, "cases/progress.html", {"form": form, "result": result}, status=status)
    response["Cache-Control"] = "no-store"
    return response
