"""In a real browser: upload a file with a bad row, read the error table, import only the valid rows."""

from __future__ import annotations

import pytest

from complaints.models import Complaint
from tests.conftest import browser_login
from tests.intake.test_import import BAD_PHONE, GOOD, hotline_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("real_urls")]


def test_a_leader_uploads_a_file_sees_the_bad_row_and_imports_the_valid_ones(page, leader, channel, window, tmp_path):
    path = tmp_path / "12345导出.csv"
    path.write_bytes(hotline_csv([GOOD, BAD_PHONE]))
    browser_login(page, leader)
    page.goto(f"{page.live_server_url}/intake/imports/")
    page.select_option("#id_channel", str(channel.pk))
    page.set_input_files("#id_file", str(path))
    page.click("[data-testid=import-form] button[type=submit]")
    status = page.locator("[data-testid=import-status]")
    status.wait_for()
    assert status.get_attribute("data-status") == "rejected"
    errors = page.locator("[data-testid=import-errors] tbody tr")
    assert errors.count() == 1
    assert "联系电话" in errors.first.inner_text()
    assert Complaint.objects.count() == 0
    page.click("[data-testid=import-valid]")
    page.locator("[data-testid=import-status][data-status=done]").wait_for()
    assert page.locator("[data-testid=imported]").inner_text() == "1"
    assert Complaint.objects.count() == 1
