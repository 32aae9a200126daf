"""Single sign-on through the unified identity platform (staff/sso.py), against a fake provider on 127.0.0.1.

The whole flow runs through Django's test client: our /oidc/authenticate/ sends the browser to the fake's
authorize endpoint, the test follows that redirect by calling the fake, and brings the code back to our
callback; the backend then fetches the token, the JWKS and the user info from the fake over HTTP.
Personas: `window_staff` (linked to the platform's `idp-user-1`), `foreign_staff` in the other centre,
`centre_admin`, `admin`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from axes.models import AccessLog
from django.conf import LazySettings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from govservice.login_limits import address_failures
from govservice.roles import Role
from staff.models import SsoLogin, StaffIdentity, User
from staff.services import staff_identity_link
from tests.admin_forms import form_data
from tests.conftest import login
from tests.factories.staff import PASSWORD, UserFactory
from tests.staff.fake_idp import FakeIdP, RunningIdP, new_key

pytestmark = pytest.mark.django_db

BACKEND = "staff.sso.StaffOIDCBackend"


@pytest.fixture
def running_idp() -> Iterator[RunningIdP]:
    server = RunningIdP()
    yield server
    server.stop()


@pytest.fixture
def idp(running_idp: RunningIdP, settings: LazySettings) -> FakeIdP:
    """Single sign-on on, pointing at the fake provider."""
    fake = running_idp.idp
    settings.OIDC_ENABLED = True
    for name, value in fake.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    return fake


def link(user: User, subject: str, idp: FakeIdP, actor: User | None = None) -> StaffIdentity:
    return staff_identity_link(identity=StaffIdentity(user=user, subject=subject), issuer=idp.issuer, actor=actor)  # type: ignore[arg-type]


def start(client: Client, next_url: str = "/") -> Any:
    response = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert response.status_code == 302
    return response


def at_the_platform(start_response: Any) -> str:
    """What the platform's authorize endpoint answers: the callback URL (path and query) with code and state."""
    answer = requests.get(start_response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = urlparse(answer.headers["Location"])
    assert callback.path == reverse("oidc_authentication_callback")
    return f"{callback.path}?{callback.query}"


def sso_login(client: Client, next_url: str = "/") -> Any:
    return client.get(at_the_platform(start(client, next_url)))


def signed_in_as(client: Client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value is not None else None


def error_messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- off by default ------------------------------------------------------------------------------


def test_while_single_sign_on_is_off_the_login_page_offers_none_and_its_urls_are_not_found(client):
    page = client.get(reverse("login"))
    assert "统一身份认证" not in page.content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_the_login_page_offers_the_platform_beside_the_form_in_the_users_language(client, idp):
    page = client.get(reverse("login"), {"next": "/cases/"}).content.decode()
    assert "使用统一身份认证登录" in page
    assert 'id="login-form"' in page
    assert f"{reverse('oidc_authentication_init')}?next=/cases/" in page
    english = client.get(reverse("login"), headers={"accept-language": "en"}).content.decode()
    assert "Sign in with the unified identity platform" in english


# --- the flow ------------------------------------------------------------------------------------


def test_a_linked_subject_signs_in_and_the_login_is_recorded(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    response = sso_login(client, next_url="/work/mine/")
    assert response.status_code == 302
    assert response["Location"] == "/work/mine/"
    assert signed_in_as(client) == window_staff.pk
    record = SsoLogin.objects.get()
    assert (record.user, record.subject, record.issuer, record.outcome) == (
        window_staff,
        "idp-user-1",
        idp.issuer,
        SsoLogin.Outcome.SIGNED_IN,
    )
    assert record.address == "127.0.0.1"
    # Django's own login record (django-axes) has it too, like a password login.
    assert AccessLog.objects.filter(username=window_staff.username).exists()
    # The authorize request asked for a nonce and PKCE.
    assert client.get("/").status_code == 200


def test_the_authorize_request_carries_state_nonce_and_pkce(client, idp):
    query = parse_qs(urlparse(start(client)["Location"]).query)
    assert query["client_id"] == ["govservice-test"]
    assert query["scope"] == ["openid"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["nonce"][0]


def test_roles_and_centre_stay_as_the_product_set_them_whatever_the_token_says(client, idp, window_staff, other_centre):
    link(window_staff, "idp-user-1", idp)
    idp.next_login = {
        "sub": "idp-user-1",
        "roles": [Role.CITY_ADMIN],
        "centre": other_centre.code,
        "is_superuser": True,
    }
    sso_login(client)
    window_staff.refresh_from_db()
    assert signed_in_as(client) == window_staff.pk
    assert set(window_staff.roles.values_list("role", flat=True)) == {Role.WINDOW_STAFF}
    assert window_staff.centre_id != other_centre.pk and not window_staff.is_superuser and not window_staff.is_staff


def test_an_email_alone_never_finds_an_account(client, idp, window_staff):
    window_staff.email = "zhang.wei@example.gov.cn"
    window_staff.save(update_fields=["email"])
    idp.next_login = {"sub": "someone-new", "email": "zhang.wei@example.gov.cn", "email_verified": True}
    response = sso_login(client)
    assert signed_in_as(client) is None
    assert response["Location"] == reverse("login")


def test_an_unknown_subject_is_refused_recorded_and_no_account_is_made(client, idp, window_staff):
    idp.next_login = {"sub": "stranger-42"}
    users_before = User.objects.count()
    response = sso_login(client)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_as(client) is None
    assert User.objects.count() == users_before
    assert error_messages(response) == [
        "统一身份认证已确认您的身份，但该身份尚未关联本系统的账号。请将以下统一身份标识告知中心管理员：stranger-42"
    ]
    record = SsoLogin.objects.get()
    assert (record.user, record.subject, record.outcome) == (None, "stranger-42", SsoLogin.Outcome.UNKNOWN_SUBJECT)


def test_the_refusal_is_in_english_for_an_english_browser(client, idp):
    idp.next_login = {"sub": "stranger-42"}
    client.cookies["django_language"] = "en"
    response = sso_login(client)
    (message,) = error_messages(response)
    assert message.startswith("The unified identity platform has confirmed who you are")
    assert "stranger-42" in message
    page = client.get(response["Location"]).content.decode()
    assert "stranger-42" in page


def test_a_switched_off_account_stays_out(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    window_staff.is_active = False
    window_staff.save(update_fields=["is_active"])
    response = sso_login(client)
    assert signed_in_as(client) is None
    assert error_messages(response) == ["您的账号已停用，无法登录。如有疑问请联系中心管理员。"]
    assert SsoLogin.objects.get().outcome == SsoLogin.Outcome.DISABLED


def test_a_person_linked_in_another_centre_signs_in_to_their_own_centre_only(client, idp, foreign_staff, window_staff):
    link(foreign_staff, "idp-user-1", idp)
    sso_login(client)
    assert signed_in_as(client) == foreign_staff.pk
    assert client.get(reverse("person", args=[window_staff.pk])).status_code == 404


# --- tokens that must not let anyone in ----------------------------------------------------------


def _refused_token(client: Client, idp: FakeIdP, user: User) -> list[str]:
    link(user, "idp-user-1", idp)
    response = sso_login(client)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_as(client) is None
    assert not SsoLogin.objects.filter(outcome=SsoLogin.Outcome.SIGNED_IN).exists()
    return error_messages(response)


INVALID_TOKEN = ["统一身份认证平台返回的登录凭证无效，请重新登录。"]


def test_a_token_for_another_login_nonce_is_refused(client, idp, window_staff):
    idp.token_claims = {"nonce": "not-this-login"}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_without_nonce_is_refused(client, idp, window_staff):
    idp.token_claims = {"nonce": FakeIdP.DROP}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_an_expired_token_is_refused(client, idp, window_staff):
    now = int(time.time())
    idp.token_claims = {"iat": now - 7200, "exp": now - 3600}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_without_expiry_is_refused(client, idp, window_staff):
    idp.token_claims = {"exp": FakeIdP.DROP}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_for_another_client_is_refused(client, idp, window_staff):
    idp.token_claims = {"aud": "another-application"}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_for_several_clients_needs_us_as_authorized_party(client, idp, window_staff):
    idp.token_claims = {"aud": ["govservice-test", "another-application"], "azp": "another-application"}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_from_another_issuer_is_refused(client, idp, window_staff):
    idp.token_claims = {"iss": "https://impostor.example"}
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_signed_with_another_key_is_refused(client, idp, window_staff):
    idp.sign_with = new_key()
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_too_broken_to_read_is_refused(client, idp, window_staff):
    idp.raw_id_token = "not-a-jwt"
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_a_token_answer_without_an_id_token_is_refused(client, idp, window_staff):
    idp.raw_id_token = ""
    assert _refused_token(client, idp, window_staff) == INVALID_TOKEN


def test_an_unreachable_platform_is_a_message_not_an_error_page(client, idp, window_staff, settings):
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # discard port: nothing listens
    assert _refused_token(client, idp, window_staff) == [
        "暂时无法连接统一身份认证平台，请稍后重试，或使用账号密码登录。"
    ]


# --- the callback itself -------------------------------------------------------------------------


def test_a_callback_with_a_state_this_browser_never_asked_for_is_refused(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    callback = at_the_platform(start(client))
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert error_messages(response) == ["登录请求已失效，请重新登录。"]
    assert signed_in_as(client) is None
    assert "/token" not in idp.requests_seen


def test_a_callback_in_a_browser_that_started_no_login_is_refused(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    callback = at_the_platform(start(client))
    stranger = Client()
    response = stranger.get(callback)
    assert response["Location"] == reverse("login")
    assert stranger.session.get(SESSION_KEY) is None


def test_a_callback_played_again_is_refused(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    callback = at_the_platform(start(client))
    client.get(callback)
    assert signed_in_as(client) == window_staff.pk
    client.logout()
    response = client.get(callback)
    assert response["Location"] == reverse("login")
    assert signed_in_as(client) is None


def test_the_platform_refusing_the_login_is_a_message(client, idp):
    state = parse_qs(urlparse(start(client)["Location"]).query)["state"][0]
    response = client.get(reverse("oidc_authentication_callback"), {"error": "access_denied", "state": state})
    assert response["Location"] == reverse("login")
    assert error_messages(response) == ["统一身份认证平台未完成登录，请重试。"]


# --- the matching claim ------------------------------------------------------------------------


def test_a_configured_claim_from_userinfo_finds_the_account(client, idp, window_staff, settings):
    settings.OIDC_SUBJECT_CLAIM = "staff_no"
    link(window_staff, "GS-0042", idp)
    idp.next_login = {"sub": "opaque-7", "staff_no": "GS-0042"}
    idp.token_claims = {"staff_no": FakeIdP.DROP}  # only the user-info answer carries it
    sso_login(client)
    assert signed_in_as(client) == window_staff.pk
    assert SsoLogin.objects.get().subject == "GS-0042"


def test_userinfo_about_another_subject_is_not_believed(client, idp, window_staff, settings):
    settings.OIDC_SUBJECT_CLAIM = "staff_no"
    link(window_staff, "GS-0042", idp)
    idp.next_login = {"sub": "opaque-7"}
    idp.userinfo = {"sub": "opaque-8", "staff_no": "GS-0042"}
    assert _refused_token_without_link(client) == INVALID_TOKEN


def _refused_token_without_link(client: Client) -> list[str]:
    response = sso_login(client)
    assert signed_in_as(client) is None
    return error_messages(response)


def test_a_token_without_the_configured_claim_is_refused(client, idp, window_staff, settings):
    settings.OIDC_SUBJECT_CLAIM = "staff_no"
    idp.next_login = {"sub": "opaque-7"}
    assert _refused_token_without_link(client) == ["统一身份认证平台未提供本系统所需的身份标识，请联系中心管理员。"]


# --- local accounts stay ---------------------------------------------------------------------------


def test_password_login_still_works_and_never_talks_to_the_platform(client, idp, admin):
    response = client.post(
        reverse("login") + "?code=stolen&state=whatever", {"username": admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_as(client) == admin.pk
    assert idp.requests_seen == []


# --- signing out -----------------------------------------------------------------------------------


def test_signing_out_after_single_sign_on_ends_the_platforms_session_too(client, idp, window_staff):
    link(window_staff, "idp-user-1", idp)
    sso_login(client)
    response = client.post(reverse("logout"))
    assert signed_in_as(client) is None
    target = urlparse(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{idp.base_url}/end_session"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]
    assert query["client_id"] == ["govservice-test"]
    assert query["id_token_hint"][0].count(".") == 2


def test_signing_out_after_a_password_login_stays_here(client, idp, window_staff):
    client.post(reverse("login"), {"username": window_staff.username, "password": PASSWORD})
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


def test_without_an_end_session_endpoint_signing_out_stays_here(client, idp, window_staff, settings):
    settings.OIDC_OP_END_SESSION_ENDPOINT = ""
    link(window_staff, "idp-user-1", idp)
    sso_login(client)
    assert client.post(reverse("logout"))["Location"] == reverse("login")


# --- the administrator links accounts --------------------------------------------------------------


def test_a_centre_administrator_links_an_account_of_their_centre(client, idp, centre_admin, window_staff):
    login(client, centre_admin)
    url = reverse("admin:staff_user_change", args=[window_staff.pk])
    response = client.post(url, form_data(client, url, **{"identities-0-subject": "idp-user-1"}))
    assert response.status_code == 302, response.context["adminform"].form.errors
    identity = StaffIdentity.objects.get(user=window_staff)
    assert (identity.issuer, identity.subject, identity.linked_by) == (idp.issuer, "idp-user-1", centre_admin)
    client.logout()
    sso_login(client)
    assert signed_in_as(client) == window_staff.pk


def test_a_subject_linked_in_another_centre_cannot_be_linked_again_and_whose_is_not_said(
    client, idp, centre_admin, window_staff, foreign_staff
):
    link(foreign_staff, "idp-user-1", idp)
    login(client, centre_admin)
    url = reverse("admin:staff_user_change", args=[window_staff.pk])
    response = client.post(url, form_data(client, url, **{"identities-0-subject": "idp-user-1"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "该统一身份标识已关联到另一个账号。" in page
    assert foreign_staff.username not in page and foreign_staff.name not in page
    assert not StaffIdentity.objects.filter(user=window_staff).exists()


def test_another_centres_accounts_and_their_sign_ins_are_out_of_reach(client, idp, centre_admin, foreign_staff):
    link(foreign_staff, "idp-user-1", idp)
    sso_login(client)
    client.logout()
    login(client, centre_admin)
    assert client.get(reverse("admin:staff_user_change", args=[foreign_staff.pk])).status_code == 404
    listing = client.get(reverse("admin:staff_ssologin_changelist"))
    assert listing.status_code == 200
    assert "idp-user-1" not in listing.content.decode()


def test_a_city_administrator_sees_refused_subjects_to_link(client, idp, admin):
    idp.next_login = {"sub": "stranger-42"}
    sso_login(client)
    login(client, admin)
    listing = client.get(reverse("admin:staff_ssologin_changelist")).content.decode()
    assert "stranger-42" in listing


def test_the_link_is_hidden_while_single_sign_on_is_off(client, centre_admin, window_staff):
    login(client, centre_admin)
    page = client.get(reverse("admin:staff_user_change", args=[window_staff.pk]))
    assert all(inline.formset.model is not StaffIdentity for inline in page.context["inline_admin_formsets"])


def test_an_account_has_one_subject_per_platform_and_a_subject_one_account(idp, window_staff, other_window_staff):
    from django.db import IntegrityError, transaction

    link(window_staff, "idp-user-1", idp)
    with pytest.raises(IntegrityError), transaction.atomic():
        link(other_window_staff, "idp-user-1", idp)
    with pytest.raises(IntegrityError), transaction.atomic():
        link(window_staff, "idp-user-2", idp)
    UserFactory.create(username="spare")


def test_refusals_of_many_people_behind_one_address_lock_nobody_out(client, idp, window_staff, settings):
    """A hall's staff share one NAT address: unlinked colleagues signing in must not lock out the linked ones."""
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        idp.next_login = {"sub": f"stranger-{attempt}"}
        sso_login(Client())
    link(window_staff, "idp-user-1", idp)
    idp.next_login = {"sub": "idp-user-1"}
    response = sso_login(client)
    assert response.status_code == 302, response.status_code
    assert signed_in_as(client) == window_staff.pk
    assert address_failures("127.0.0.1") == 0  # nor do they count against the address's password limit


# --- configuration from the platform's discovery document ----------------------------------------


def test_sso_discover_prints_the_settings_of_the_platform(running_idp):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sso_discover", running_idp.idp.issuer, stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    assert {name: value for name, value in lines.items() if value} == {
        "OIDC_ENABLED": "1",
        "OIDC_RP_SIGN_ALGO": "RS256",
        **{name: value for name, value in running_idp.idp.settings().items() if not name.startswith("OIDC_RP_")},
    }


def test_sso_discover_refuses_a_document_of_another_issuer(running_idp):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="names the issuer"):
        call_command("sso_discover", running_idp.idp.issuer + "/")  # same document, another issuer string
