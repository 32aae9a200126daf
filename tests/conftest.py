"""Shared fixtures: named personas in two centres, a work calendar, Celery in-process.

Personas (STYLE.md): `centre` and `other_centre`; `window_staff` and
`other_window_staff` in the first centre; `foreign_staff` in the other centre;
`helper`, `mentor`, `liaison`, `leader`, `city_leader`, `centre_admin`, `admin`.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

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
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


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
    return UserFactory(centre=centre, username="helper", name="赵敏", roles=[Role.HELPER])


@pytest.fixture
def mentor(centre, window) -> User:
    return UserFactory(
        centre=centre, window=window, username="mentor", name="陈静", roles=[Role.MENTOR, Role.WINDOW_STAFF]
    )


@pytest.fixture
def liaison(centre) -> User:
    return UserFactory(centre=centre, username="liaison", name="杨洋", roles=[Role.LIAISON])


@pytest.fixture
def leader(centre) -> User:
    return UserFactory(centre=centre, username="leader", name="刘军", roles=[Role.LEADER])


@pytest.fixture
def other_leader(other_centre) -> User:
    return UserFactory(centre=other_centre, username="leader2", name="黄磊", roles=[Role.LEADER])


@pytest.fixture
def city_leader(centre) -> User:
    return UserFactory(centre=centre, username="cityleader", name="周建国", roles=[Role.CITY_LEADER])


@pytest.fixture
def centre_admin(centre) -> User:
    return UserFactory(centre=centre, username="centreadmin", name="吴涛", is_staff=True, roles=[Role.CENTRE_ADMIN])


@pytest.fixture
def admin(centre) -> User:
    return UserFactory(
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


@pytest.fixture
def page(_browser, live_server, request):
    """A fresh desktop page (1366x768). Fails the test on any console error or failed request.

    Use `request.param`-free variants: `phone_page` for a phone viewport.
    """
    yield from _page(_browser, live_server, viewport={"width": 1366, "height": 768})


@pytest.fixture
def phone_page(_browser, live_server):
    yield from _page(_browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True)


def _request_failed(problems: list[str], request) -> None:
    # A request the browser itself abandoned because the next page started
    # loading (a favicon, a superseded htmx poll) is not a failure of the app.
    if request.failure and "ERR_ABORTED" in request.failure:
        return
    problems.append(f"request failed: {request.url} {request.failure}")


def _page(browser, live_server, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    problems = BrowserProblems()
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: _request_failed(problems, req))
    page.on(
        "response",
        lambda resp: problems.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 500 else None,
    )
    page.live_server_url = live_server.url
    page.problems = problems
    yield page
    context.close()
    assert not problems, "the browser saw problems:\n" + "\n".join(problems)


def browser_login(page, user: User, password: str = PASSWORD) -> None:
    page.goto(f"{page.live_server_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
