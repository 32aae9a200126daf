"""What each lean middleware protects still holds where it matters (govservice/lean.py, idle.py, input_guard.py;
docs/benchmarks.md "The cost of the stack"): the cuts only drop work whose result nobody uses."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSP
from django.middleware.locale import LocaleMiddleware as DjangoLocale
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP, build_policy
from django.views.decorators.csp import csp_override
from hypothesis import given, settings
from hypothesis import strategies as st

from govservice import idle
from govservice.input_guard import CONTROL_CHARACTERS, ControlCharacterMiddleware
from govservice.lean import ContentSecurityPolicyMiddleware, LocaleMiddleware
from tests.factories.intake import hotline_channel, issued_key

factory = RequestFactory()


# --- security headers and CSRF -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_channel_api_answer_still_carries_every_security_header(client, centre):
    key = issued_key(hotline_channel(centre))
    response = client.post(
        "/api/v1/intake/evaluations/",
        data=json.dumps({"level": 5, "text": "好", "external_id": "lean-1"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Key {key}",
    )
    assert response.status_code == 201, response.content
    assert response["Content-Security-Policy"] == build_policy(django_settings.SECURE_CSP)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Accept-Language" in response["Vary"]
    assert response["Content-Language"] in {"zh-hans", "en"}


@pytest.mark.django_db
def test_a_page_form_posted_without_its_csrf_token_is_still_refused(window_staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(window_staff, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert response["Content-Security-Policy"]


# --- CSP: the same header as Django's middleware, built once -----------------------------------------


def _through(middleware_class, view=None, request=None):
    request = request or factory.get("/cases/")
    middleware = middleware_class(view or (lambda r: HttpResponse("ok")))
    return middleware(request)


def test_the_csp_header_is_the_one_djangos_middleware_builds():
    assert (
        _through(ContentSecurityPolicyMiddleware)["Content-Security-Policy"]
        == (_through(DjangoCSP)["Content-Security-Policy"])
    )


def test_a_changed_policy_is_sent_at_once():
    middleware = ContentSecurityPolicyMiddleware(lambda r: HttpResponse("ok"))
    before = middleware(factory.get("/"))["Content-Security-Policy"]
    with override_settings(SECURE_CSP={"default-src": [CSP.NONE]}):
        assert middleware(factory.get("/"))["Content-Security-Policy"] == "default-src 'none'"
    assert middleware(factory.get("/"))["Content-Security-Policy"] == before


@override_settings(SECURE_CSP={"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]})
def test_a_policy_with_a_nonce_carries_each_requests_own_nonce():
    def view(request):
        from django.middleware.csp import get_nonce

        return HttpResponse(str(get_nonce(request)))

    middleware = ContentSecurityPolicyMiddleware(view)
    first, second = middleware(factory.get("/")), middleware(factory.get("/"))
    assert f"'nonce-{first.content.decode()}'" in first["Content-Security-Policy"]
    assert f"'nonce-{second.content.decode()}'" in second["Content-Security-Policy"]
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


def test_a_views_own_policy_wins():
    view = csp_override({"default-src": [CSP.SELF], "img-src": ["https:"]})(lambda r: HttpResponse("ok"))
    assert _through(ContentSecurityPolicyMiddleware, view)["Content-Security-Policy"] == (
        "default-src 'self'; img-src https:"
    )


# --- the locale: the same language and headers as Django's middleware ---------------------------------

LANGUAGE_HEADERS = st.sampled_from(["", "en", "en-US,en;q=0.9", "zh-CN,zh;q=0.9", "fr", "de;q=0.5, en;q=0.4", "*"])
LANGUAGE_COOKIES = st.sampled_from([None, "en", "zh-hans", "xx"])
PATHS = st.sampled_from(["/", "/cases/", "/api/v1/intake/evaluations/", "/en/cases/", "/zh-hans/", "/bench/insert/"])


@settings(max_examples=80, deadline=None)
@given(header=LANGUAGE_HEADERS, cookie=LANGUAGE_COOKIES, path=PATHS, status=st.sampled_from([200, 404]))
def test_the_language_and_headers_are_djangos_for_any_request(header, cookie, path, status):
    def answer(middleware_class) -> tuple[str, str, str, str]:
        request = factory.get(path, HTTP_ACCEPT_LANGUAGE=header)
        if cookie:
            request.COOKIES[django_settings.LANGUAGE_COOKIE_NAME] = cookie

        def view(r: HttpRequest) -> HttpResponse:
            return HttpResponse(translation.get_language(), status=status)

        try:
            response = middleware_class(view)(request)
        finally:
            translation.deactivate()
        return request.LANGUAGE_CODE, response.content.decode(), response["Content-Language"], response["Vary"]

    assert answer(LocaleMiddleware) == answer(DjangoLocale)


@pytest.mark.django_db
def test_a_page_speaks_the_browsers_language():
    from django.test import Client

    assert Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
    assert Client().get(reverse("login"))["Content-Language"] == "zh-hans"


# --- the idle time-out -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_without_a_session_cookie_loads_no_session(client):
    seen = {}

    def view(request):
        seen["accessed"] = request.session.accessed
        return JsonResponse({})

    from govservice.lean import AuthenticationMiddleware, SessionMiddleware

    request = factory.get("/cases/")
    chain = SessionMiddleware(AuthenticationMiddleware(idle.IdleTimeoutMiddleware(view)))
    response = chain(request)
    assert seen == {"accessed": False}
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_an_idle_member_of_staff_with_a_session_cookie_is_still_signed_out(client, settings, window_staff, monkeypatch):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 30
    clock = [1_000_000.0]
    monkeypatch.setattr(idle, "now", lambda: clock[0])
    client.force_login(window_staff, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("home")).status_code == 200
    clock[0] += 31 * 60
    client.get(reverse("home"))
    assert SESSION_KEY not in client.session


# --- the control-character guard ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_guard_still_answers_400_to_a_control_character_in_the_path(client):
    assert client.get("/dashboard/inbox/%01/1/").status_code == 400  # a page
    response = client.get("/api/v1/feedback/complaints/%01/")  # the API, its error shape
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.django_db
def test_the_guard_still_answers_400_to_a_url_encoded_form_field(window_staff, client):
    client.force_login(window_staff, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("logout"), {"next": "/\x00"})
    assert response.status_code == 400


@settings(max_examples=200, deadline=None)
@given(
    path=st.text(alphabet=st.sampled_from("ab/-.é\x00\x01\x1b\x7f\t\n"), max_size=12).map(lambda s: "/api/" + s),
    query=st.sampled_from(["", "q=a", "q=%00", "q=%1b"]),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
    body=st.sampled_from(["", "a=b", "a=%00"]),
)
def test_the_guard_refuses_exactly_what_has_a_control_character(path, query, content_type, body):
    request = factory.post(path + ("?" + query if query else ""), data=body, content_type=content_type)
    request.path_info = path
    answer = ControlCharacterMiddleware(lambda r: HttpResponse())
    result = answer.process_view(request, lambda r: HttpResponse(), (), {})
    has_one = (
        CONTROL_CHARACTERS.search(path) is not None
        or query.endswith(("%00", "%1b"))
        or (content_type == "application/x-www-form-urlencoded" and body == "a=%00")
    )
    assert (result is not None and result.status_code == 400) == has_one
