"""Without chromium the browser tests skip on a laptop but fail under CI=true (issue 8: CI runs them)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.mark.browser
def test_the_session_browser_runs(_browser):
    """The browser test the run below starts: it needs the browser and nothing else (no database)."""
    assert _browser.is_connected() and _browser.version


def _run_browser_test_without_chromium(ci: str) -> subprocess.CompletedProcess:
    # No database or broker of the outer run is handed down: the inner run touches none of them.
    hidden = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    env = {**{k: v for k, v in os.environ.items() if k not in hidden}, "CI": ci}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.browser.hide_chromium",
            "tests/browser/test_missing_browser.py::test_the_session_browser_runs",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("ci", "fails"), [("true", True), ("", False)])
def test_a_missing_chromium_fails_under_ci_and_skips_elsewhere(ci, fails):
    result = _run_browser_test_without_chromium(ci)
    if fails:
        assert result.returncode != 0, result.stdout
        assert "chromium is missing under CI=true" in result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert "1 skipped" in result.stdout
