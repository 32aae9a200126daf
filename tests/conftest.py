"""Shared fixtures: named personas in two centres, a work calendar, Celery in-process.

Personas (STYLE.md): `centre` and `other_centre`; `window_staff` and
`other_window_staff` in the first centre; `foreign_staff` in the other centre;
`helper`, `mentor`, `liaison`, `leader`, `city_leader`, `centre_admin`, `admin`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from govservice.celery import app as celery_app
from staff.models import Role, User
from tests.factories.staff import PASSWORD, CentreFactory, UserFactory, WindowFactory
from tests.factories.staff import window_staff as make_window_staff


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run in-process in tests; tests of the real broker opt out explicitly."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _import_files(settings, tmp_path_factory):
    """Uploaded import files of each test in a folder of its own, not the project's var/imports."""
    settings.IMPORT_FILES_ROOT = tmp_path_factory.mktemp("imports")
    settings.EXPORT_FILES_ROOT = tmp_path_factory.mktemp("exports")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: a request in English leaves English active in the
    thread (LocaleMiddleware does not reset it), and a later test's message would come out in English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def centre():
    return CentreFactory(code="city", name="市政务服务中心", tracking_prefix="GS", level="city")


@pytest.fixture
def other_centre():
    return CentreFactory(code="gxq", name="高新区政务服务中心", tracking_prefix="GX")


@pytest.fixture
def window(centre):
    return WindowFactory(centre=centre, code="B01", name="市场监管窗口")


@pytest.fixture
def window_staff(centre, window) -> User:
    return make_window_staff(centre=centre, window=window, username="staff", name="张伟")


@pytest.fixture
def other_window_staff(centre) -> User:
    return make_window_staff(centre=centre, username="staff2", name="李娜")


@pytest.fixture
def foreign_staff(other_centre) -> User:
    return make_window_staff(centre=other_centre, username="foreign", name="王强")


@pytest.fixture
def helper(centre) -> User:
    return UserFactory.create(centre=centre, username="helper", name="赵敏", roles=[Role.HELPER])


@pytest.fixture
def mentor(centre, window) -> User:
    return UserFactory.create(
        centre=centre, window=window, username="mentor", name="陈静", roles=[Role.MENTOR, Role.WINDOW_STAFF]
    )


@pytest.fixture
def liaison(centre) -> User:
    return UserFactory.create(centre=centre, username="liaison", name="杨洋", roles=[Role.LIAISON])


@pytest.fixture
def leader(centre) -> User:
    return UserFactory.create(centre=centre, username="leader", name="刘军", roles=[Role.LEADER])


@pytest.fixture
def other_leader(other_centre) -> User:
    return UserFactory.create(centre=other_centre, username="leader2", name="黄磊", roles=[Role.LEADER])


@pytest.fixture
def city_leader(centre) -> User:
    return UserFactory.create(centre=centre, username="cityleader", name="周建国", roles=[Role.CITY_LEADER])


@pytest.fixture
def centre_admin(centre) -> User:
    return UserFactory.create(
        centre=centre, username="centreadmin", name="吴涛", is_staff=True, roles=[Role.CENTRE_ADMIN]
    )


@pytest.fixture
def admin(centre) -> User:
    return UserFactory.create(
        centre=centre, username="admin", name="管理员", is_staff=True, is_superuser=True, roles=[Role.CITY_ADMIN]
    )


@pytest.fixture
def password() -> str:
    return PASSWORD


def login(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def as_user(client):
    """`as_user(persona)` → a test client logged in as that persona."""

    def _as(user: User) -> Client:
        return login(client, user)

    return _as


# --- Browser tests -------------------------------------------------------------------------
# Playwright drives Debian's chromium (never a downloaded browser). Without it the
# browser tests skip, except under CI=true, where a missing browser is a failure.

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def _browser():
    import os
    import shutil

    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI=true: `apt-get install chromium` (make test does it as root)")
        pytest.skip("chromium is not installed")
    # The live server thread and Playwright's loop share this thread's DB access.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


class BrowserProblems(list):
    """Console errors and failed requests seen by a page; a browser test ends with none."""


# Screen sizes and languages of the browser tests. The language is the one the browser asks for
# (Accept-Language from the context's locale), as a citizen's phone or a staff PC would; the
# switcher in the top bar is driven by tests/browser/test_login_browser.py.
VIEWPORTS: dict[str, dict] = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
BROWSER_LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}

# The flows named in the feature issues run in every combination.
UI_COMBINATIONS = [
    pytest.param(("desktop", "zh-hans"), id="desktop-zh"),
    pytest.param(("desktop", "en"), id="desktop-en"),
    pytest.param(("phone", "zh-hans"), id="phone-zh"),
    pytest.param(("phone", "en"), id="phone-en"),
]


class BrowserPages:
    """Opens pages (one browser context each) and, at the end, closes them and fails on any problem."""

    def __init__(self, browser, live_server, shots):
        self.browser = browser
        self.live_server = live_server
        self.shots = shots
        # Playwright's context and page, with the attributes `describe` adds (problems, shots, ...)
        self.opened: list[tuple[Any, Any]] = []

    def open(self, viewport: str = "desktop", language: str = "zh-hans"):
        context = self.browser.new_context(locale=BROWSER_LOCALES[language], **VIEWPORTS[viewport])
        problems = BrowserProblems()
        # Listened to on the context, so a page the test opens in a new tab is checked as well.
        context.on(
            "console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        )
        context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
        context.on("requestfailed", lambda req: _request_failed(problems, req))
        context.on(
            "response",
            lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 500 else None,
        )

        def describe(page) -> None:
            page.live_server_url = self.live_server.url
            page.problems = problems
            page.viewport_name = viewport
            page.language = language
            page.shots = self.shots

        context.on("page", describe)
        page = context.new_page()
        describe(page)
        self.opened.append((context, page))
        return page

    def close(self) -> None:
        problems = [
            problem
            for _, page in self.opened
            for problem in page.problems
            # A test that asked for refused pages (403/404) and checked them says so: Chromium reports each
            # such answer on the console, sometimes twice and after the page has moved on.
            if not (
                getattr(page, "refusals_expected", False) and ("status of 403" in problem or "status of 404" in problem)
            )
        ]
        for context, _ in self.opened:
            context.close()
        assert not problems, "the browser saw problems:\n" + "\n".join(problems)


@pytest.fixture
def browser_pages(_browser, live_server, tmp_path):
    """`browser_pages.open(viewport, language)` → a further page, checked like `page`."""
    pages = BrowserPages(_browser, live_server, tmp_path)
    yield pages
    pages.close()


@pytest.fixture
def page(browser_pages):
    """A fresh desktop page (1366x768) in Chinese. Fails the test on any console error or failed request."""
    return browser_pages.open("desktop", "zh-hans")


@pytest.fixture
def phone_page(browser_pages):
    """A phone-sized page (390x844, touch) in Chinese."""
    return browser_pages.open("phone", "zh-hans")


@pytest.fixture(params=UI_COMBINATIONS)
def ui_page(request, browser_pages):
    """A page in each combination of viewport (desktop, phone) and language (zh-hans, en).

    `page.viewport_name` and `page.language` say which; tests/browser/ui.py has the helpers
    (`tr` for the expected text per language, `screen` to check and photograph a screen,
    `nav` to follow the main navigation the way the viewport shows it).
    """
    viewport, language = request.param
    return browser_pages.open(viewport, language)


def _request_failed(problems: list[str], request) -> None:
    # A request the browser itself abandoned because the next page started
    # loading (a favicon, a superseded htmx poll) is not a failure of the app.
    if request.failure and "ERR_ABORTED" in request.failure:
        return
    problems.append(f"request failed: {request.url} {request.failure}")


def browser_login(page, user: User, password: str = PASSWORD) -> None:
    page.goto(f"{page.live_server_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
