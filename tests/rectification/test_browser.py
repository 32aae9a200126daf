"""A leader walks the dashboard, clicks a number through to its list and verifies a close-out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from rectification.models import Problem
from rectification.services import evidence_store
from tests.browser.ui import nav, screen, tr
from tests.conftest import browser_login
from tests.factories.rectification import MeasureFactory, ProblemFactory
from tests.rectification.conftest import PDF_BYTES


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leader_clicks_from_the_dashboard_to_the_list_and_verifies_a_close_out(
    ui_page, centre, leader, responsible_leader, window_staff, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    waiting = ProblemFactory(
        centre=centre,
        code="TD-03",
        title="推诿扯皮",
        status=Problem.Status.CLOSE_OUT_APPLIED,
        responsible_leader=responsible_leader,  # close-out is verified by another, independent leader
        responsible_person=window_staff,
        close_out_applied_by=window_staff,
    )
    MeasureFactory(problem=waiting, progress=100)
    evidence_store(
        problem=waiting,
        update=None,
        actor=window_staff,
        upload=SimpleUploadedFile("e.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    MeasureFactory(problem=ProblemFactory(centre=centre, code="NL-01", responsible_leader=leader))

    page = ui_page
    browser_login(page, leader)
    # Let the post-login home page finish, or leaving it early shows up as an aborted request.
    page.wait_for_url(f"{page.live_server_url}/")
    page.wait_for_load_state("networkidle")
    nav(page, reverse("dashboard:dashboard"))
    assert page.locator("[data-testid=decision-close_out_waiting] .value").inner_text() == "1"
    assert page.locator("svg").count() >= 1
    screen(page, "dashboard")
    page.click("[data-testid=ledger-all-applied]")
    page.wait_for_url("**/ledger/?*status=close_out_applied*")
    assert page.locator("[data-testid=ledger-count]").inner_text() == tr(page, "共 1 个问题", "1 problem")
    screen(page, "ledger")
    page.click("text=推诿扯皮")
    screen(page, "problem", data=("上传佐证材料",))  # the history note of the upload above, made in Chinese
    page.fill("[data-testid=note-closed]", "现场核查，整改到位")
    page.click("[data-testid=transition-closed]")
    # Verifying is a decision: the page first says what it will do, and nothing changes until confirmed.
    assert page.locator("[data-testid=problem-status]").inner_text() == tr(page, "申请销号", "Close-out applied")
    assert "TD-03" in page.locator("[data-testid=confirm-what]").inner_text()
    page.click("[data-testid=confirm]")
    assert page.locator("[data-testid=problem-status]").inner_text() == tr(page, "已销号", "Closed")
    assert "现场核查，整改到位" in page.locator("[data-testid=problem-timeline]").inner_text()
    waiting.refresh_from_db()
    assert waiting.verified_by == leader


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leader_imports_an_edited_ledger_sees_the_changes_first_and_confirms_them(
    ui_page, centre, leader, responsible_leader, window_staff, settings, tmp_path
):
    import io

    from openpyxl import load_workbook

    from govservice.exports import export_request, export_run

    settings.MEDIA_ROOT = tmp_path / "media"
    problem = ProblemFactory(
        centre=centre,
        code="TD-02",
        title="解释政策不耐心",
        responsible_leader=responsible_leader,
        responsible_person=window_staff,
    )
    measure = MeasureFactory(problem=problem, description="开展服务礼仪培训")
    job = export_run(export_request(user=leader, kind="ledger", params={}).id)  # the task, run here
    with job.file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    sheet = workbook.active
    sheet.cell(row=3, column=4).value = "1. 开展服务礼仪培训，每季度一次"
    path = tmp_path / "ledger.xlsx"
    workbook.save(path)

    page = ui_page
    browser_login(page, leader)
    page.wait_for_url(f"{page.live_server_url}/")
    page.goto(f"{page.live_server_url}{reverse('rectification:ledger-import')}")
    page.set_input_files("input[type=file]", str(path))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("[data-testid=import-changes]")
    assert page.locator("[data-testid=import-change]").count() == 1
    assert "每季度一次" in page.locator("[data-testid=import-changes]").inner_text()
    measure.refresh_from_db()
    assert measure.description == "开展服务礼仪培训"  # nothing changes before the confirmation
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=ledger-import-apply]")
    page.wait_for_selector("[data-testid=ledger-import][data-status=done]")
    measure.refresh_from_db()
    assert measure.description == "开展服务礼仪培训，每季度一次"
