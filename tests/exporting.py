"""Exports through the screens, as a person makes them: ask (POST), the task runs after the commit (as the
worker would), then download with the job's token."""

from __future__ import annotations

from typing import Any

from django.test import Client, TestCase
from django.urls import resolve, reverse

from govservice.models import ExportJob


def export_through_screens(client: Client, kind: str, params: dict[str, str] | None = None, **extra: Any) -> bytes:
    """The file of a background export asked for by `client`'s user (`extra`: request headers)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("export-new"), {"kind": kind, **(params or {})}, **extra)
    assert response.status_code == 302
    match = resolve(response["Location"])
    assert match.url_name == "export-detail", response["Location"]
    job = ExportJob.objects.get(id=match.kwargs["job_id"])
    assert job.status == ExportJob.Status.DONE, job.error
    download = client.get(reverse("export-file", args=[job.id]), {"t": job.token})
    assert download.status_code == 200
    return b"".join(download.streaming_content)  # type: ignore[attr-defined]  # a FileResponse
