"""A real browser signs in through a fake unified identity platform on 127.0.0.1, and signs out of both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from staff.models import SsoLogin, StaffIdentity
from staff.services import staff_identity_link
from tests.staff.fake_idp import FakeIdP, RunningIdP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idp(settings) -> Iterator[FakeIdP]:
    server = RunningIdP()
    settings.OIDC_ENABLED = True
    for name, value in server.idp.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "staff.sso.StaffOIDCBackend"]
    # As govservice/settings.py does when OIDC_OP_END_SESSION_ENDPOINT is set.
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": ["'self'", server.idp.base_url]}
    yield server.idp
    server.stop()


def test_staff_sign_in_through_the_platform_and_out_of_it_again(page, idp, window_staff):
    staff_identity_link(identity=StaffIdentity(user=window_staff, subject="idp-user-1"), issuer=idp.issuer, actor=None)
    page.goto(f"{page.live_server_url}/accounts/login/")
    page.click("[data-testid=sso-login]")
    page.wait_for_selector("[data-testid=home-heading]")
    assert "张伟" in page.inner_text("[data-testid=home-heading]")
    assert SsoLogin.objects.get().outcome == SsoLogin.Outcome.SIGNED_IN

    page.click("form.inline button.linklike")  # 退出
    page.wait_for_selector("#login-form")
    assert len(idp.ended_sessions) == 1
    assert page.url.startswith(f"{page.live_server_url}/accounts/login/")


def test_an_unlinked_person_reads_why_in_english(browser_pages, idp):
    page = browser_pages.open("desktop", "en")
    idp.next_login = {"sub": "stranger-42"}
    page.goto(f"{page.live_server_url}/accounts/login/")
    assert page.inner_text("[data-testid=sso-login]") == "Sign in with the unified identity platform"
    page.click("[data-testid=sso-login]")
    page.wait_for_selector(".messages")
    assert "stranger-42" in page.inner_text(".messages")
    assert "not yet linked" in page.inner_text(".messages")
