"""Take screenshots of the main screens for the README (`make screenshots`).

Runs against a server that has the demo data (BASE_URL, default
http://127.0.0.1:8001) with Debian's chromium; writes docs/screenshots/*.png.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8001")
PASSWORD = "demo-pass-2026"  # noqa: S105 - the printed demo password
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

# (file name, demo login or None for a public page, path, viewport)
SHOTS: list[tuple[str, str | None, str, tuple[int, int]]] = [
    ("login", None, "/accounts/login/", (1366, 768)),
    ("home-window-staff", "city-staff01", "/", (1366, 768)),
    ("home-leader", "city-leader1", "/", (1366, 768)),
]


def main() -> int:
    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for name, username, path, (width, height) in SHOTS:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
            page = context.new_page()
            if username:
                page.goto(f"{BASE_URL}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click("#login-form button[type=submit]")
                page.wait_for_load_state("networkidle")
            page.goto(f"{BASE_URL}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
            print(f"docs/screenshots/{name}.png")
            context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
