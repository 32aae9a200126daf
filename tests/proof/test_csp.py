"""A Content-Security-Policy is enforced (not report-only) on every HTML response we sample."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no enforced CSP header"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _assert_strict(response) -> None:
    assert response["Content-Type"].startswith("text/html")
    policy = _policy(response)
    for directive in ("script-src", "style-src", "default-src"):
        assert "'self'" in policy.get(directive, []), (directive, policy)
        assert "'unsafe-inline'" not in policy.get(directive, []), (directive, policy)
        assert "'unsafe-eval'" not in policy.get(directive, []), (directive, policy)
    assert policy.get("frame-ancestors") == ["'none'"]
    assert policy.get("object-src") == ["'none'"]


def test_login_page_enforces_csp(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    _assert_strict(response)


@pytest.mark.parametrize("persona", ["window_staff", "leader", "admin"])
def test_home_pages_enforce_csp(request, as_user, persona):
    client = as_user(request.getfixturevalue(persona))
    response = client.get("/", follow=True)
    assert response.status_code == 200
    _assert_strict(response)


def test_error_pages_enforce_csp(client):
    response = client.get("/no-such-page-for-csp/")
    assert response.status_code == 404
    if response["Content-Type"].startswith("text/html"):
        _assert_strict(response)
