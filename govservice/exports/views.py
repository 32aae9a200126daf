"""The export screens: ask (a POST from any list page), watch the progress, download, and my exports."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from govservice.exceptions import DomainError
from govservice.models import ExportJob

from .services import export_download, export_request

# Fields of the POST that are not the list's filters.
_CONTROL = {"csrfmiddlewaretoken", "kind", "reveal", "next"}


@login_required
@require_POST
def export_new(request: HttpRequest) -> HttpResponse:
    params = {k: str(v) for k, v in request.POST.items() if k not in _CONTROL}
    try:
        job = export_request(
            user=request.user,
            kind=request.POST.get("kind", ""),
            params=params,
            reveal=request.POST.get("reveal") == "1",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or "exports")
    return redirect(reverse("export-detail", args=[job.id]))


def _own(request: HttpRequest, job_id: int) -> ExportJob:
    return get_object_or_404(ExportJob, id=job_id, requested_by_id=request.user.pk)


@login_required
def export_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress while it is made (the part below polls itself), then the download link."""
    job = _own(request, job_id)
    template = "govservice/_export_progress.html" if request.headers.get("HX-Request") else "govservice/export.html"
    return render(request, template, {"job": job})


@login_required
def export_file(request: HttpRequest, job_id: int) -> FileResponse | HttpResponse:
    try:
        job = export_download(user=request.user, job_id=job_id, token=request.GET.get("t", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("exports")
    name = f"{job.title}-{job.created_at:%Y%m%d}.xlsx".replace("/", "-")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=name)


@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = ExportJob.objects.filter(requested_by_id=request.user.pk)[:50]
    return render(request, "govservice/exports.html", {"jobs": jobs})
