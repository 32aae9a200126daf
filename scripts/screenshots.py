"""Take screenshots of the main screens for the README (`make screenshots`).

Runs against a server that has the demo data (BASE_URL, default
http://127.0.0.1:8001) with Debian's chromium; writes docs/screenshots/*.png.
Detail pages are found through the ORM, so the script runs with the same
settings (GOVSERVICE_VAR_DIR, DEBUG) as the server it photographs.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8001")
PASSWORD = "demo-pass-2026"  # noqa: S105 - the printed demo password
OUT = ROOT / "docs" / "screenshots"
DESKTOP = (1366, 860)
PHONE = (390, 844)


@dataclass(frozen=True)
class Shot:
    name: str
    login: str | None  # a demo username, or None for a public page
    path: str | Callable[[], str]
    viewport: tuple[int, int] = DESKTOP
    language: str = "zh-hans"
    full_page: bool = False


def _demo[T](row: T | None, what: str) -> T:
    """The demo row a screenshot shows; without it the demo data is missing, which is worth saying plainly."""
    if row is None:
        raise RuntimeError(f"the demo data has no {what}: run `make demo` (load_demo) first")
    return row


def _case_awaiting_correction() -> str:
    from cases.models import Case

    case = Case.objects.filter(centre__code="city", status="awaiting_correction").order_by("-id").first()
    return _demo(case, "case awaiting correction").get_absolute_url()


def _correction_list() -> str:
    return _case_awaiting_correction() + "correction-list/"


def _complaint() -> str:
    from django.urls import reverse

    from complaints.models import Complaint

    complaint = Complaint.objects.filter(centre__code="city").order_by("-id").first()
    return reverse("complaints:complaint-detail", args=[_demo(complaint, "complaint").public_id])


def _rating_page() -> str:
    from django.urls import reverse

    from staff.models import Window

    window = Window.objects.filter(centre__code="city").order_by("code").first()
    return reverse("complaints:rate-window", args=[_demo(window, "window").public_id])


def _problem() -> str:
    from django.urls import reverse

    from rectification.models import Problem

    problem = Problem.objects.filter(centre__code="city").order_by("code").first()
    return reverse("rectification:problem-detail", args=[_demo(problem, "ledger problem").id])


def _score_month() -> str:
    from django.urls import reverse

    from development.models import ScoringRun

    run = ScoringRun.objects.filter(centre__code="city").order_by("-month").first()
    return reverse("staff:score-month", args=[_demo(run, "scoring run").month.strftime("%Y-%m")])


SHOTS = [
    Shot("login", None, "/accounts/login/"),
    Shot("home-window-staff", "city-staff01", "/"),
    Shot("case-new", "city-staff01", "/cases/new/"),
    Shot("case-list", "city-staff01", "/cases/"),
    Shot("case-detail", "city-staff01", _case_awaiting_correction, full_page=True),
    Shot("correction-list", "city-staff01", _correction_list),
    Shot("case-new-phone", "city-staff01", "/cases/new/", viewport=PHONE),
    Shot("rate-window-phone", None, _rating_page, viewport=PHONE),
    Shot("feedback-overview", "city-leader1", "/feedback/"),
    Shot("complaint-detail", "city-leader1", _complaint),
    Shot("ledger", "city-leader1", "/ledger/"),
    Shot("ledger-problem", "city-leader1", _problem),
    Shot("dashboard", "city-leader1", "/ledger/dashboard/", full_page=True),
    Shot("scores", "city-leader1", _score_month),
    Shot("star-board", "city-leader1", "/board/city/"),
    Shot("knowledge-search", "city-staff01", "/knowledge/?q=营业执照"),
    Shot("sms-outbox", "city-admin", "/notifications/messages/"),
    Shot("home-leader-english", "city-leader1", "/", language="en"),
]


def main() -> int:
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    only = set(sys.argv[1:])
    shots = [shot for shot in SHOTS if not only or shot.name in only]
    # Resolved before the browser starts: Playwright's sync API runs an event loop the ORM refuses.
    paths = {shot.name: shot.path() if callable(shot.path) else shot.path for shot in shots}
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for shot in shots:
            width, height = shot.viewport
            context = browser.new_context(
                viewport={"width": width, "height": height},
                locale="zh-CN" if shot.language == "zh-hans" else "en-US",
                is_mobile=shot.viewport == PHONE,
                has_touch=shot.viewport == PHONE,
            )
            context.add_cookies([{"name": "django_language", "value": shot.language, "url": BASE_URL}])
            page = context.new_page()
            if shot.login:
                page.goto(f"{BASE_URL}/accounts/login/")
                page.fill("#id_username", shot.login)
                page.fill("#id_password", PASSWORD)
                page.click("#login-form button[type=submit]")
                page.wait_for_load_state("networkidle")
            path = paths[shot.name]
            response = page.goto(f"{BASE_URL}{path}")
            page.wait_for_load_state("networkidle")
            if response is None or response.status >= 400:
                print(f"{shot.name}: {path} answered {response and response.status}", file=sys.stderr)
                return 1
            page.screenshot(path=str(OUT / f"{shot.name}.png"), full_page=shot.full_page)
            print(f"docs/screenshots/{shot.name}.png  ({path})")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
