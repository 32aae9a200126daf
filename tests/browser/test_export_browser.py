"""A background export in the browser: the ledger page's button, the progress page polling while the job
waits for the worker, then the download link and the file (the ledger's round-trip layout)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from govservice import tasks
from govservice.exports import export_run
from govservice.models import ExportJob
from tests.conftest import browser_login
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.factories.staff import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_exports_the_ledger_watches_the_progress_and_downloads_the_file(
    page, centre, leader, window_staff, monkeypatch
):
    deputy = UserFactory(centre=centre, username="deputy", name="何平", roles=["leader"])
    problem = ProblemFactory(centre=centre, code="TD-07", responsible_leader=deputy, responsible_person=window_staff)
    MeasureFactory(problem=problem, owner=window_staff, description="开展服务礼仪培训")
    queued: list[int] = []
    # The worker is this test: the job waits in the queue until it is run below.
    monkeypatch.setattr(tasks.export_run_task, "delay", queued.append)

    browser_login(page, leader)
    page.wait_for_url(f"{page.live_server_url}/")
    page.goto(f"{page.live_server_url}/ledger/")
    page.click("[data-testid=export-button]")
    progress = page.locator("[data-testid=export-progress]")
    assert progress.get_attribute("data-status") == "queued"
    assert "排队中" in progress.inner_text()

    assert len(queued) == 1
    assert export_run(queued[0]).status == ExportJob.Status.DONE
    page.wait_for_selector("[data-testid=export-progress][data-status=done]")  # the page polled itself
    with page.expect_download() as download:
        page.click("[data-testid=export-download]")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sheet["A1"].value == "市政务服务中心窗口作风建设问题整改台账"
    assert [row[-1] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["TD-07"]
    job = ExportJob.objects.get(id=queued[0])
    assert job.requested_by == leader and job.downloaded_at is not None
