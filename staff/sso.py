"""Single sign-on through the centre's unified identity platform (政务统一身份认证), OpenID Connect.

mozilla-django-oidc runs the authorization-code flow (state, nonce, PKCE, the token request); this module
decides who may come in:

- The ID token is checked in full: signature by the platform's published key (JWKS) and only with the
  configured asymmetric algorithm, `iss` = OIDC_OP_ISSUER, `aud` = our client id (`azp` too when several
  audiences), `exp` / `iat` present and current, the nonce of this login. The library checks neither the
  audience nor the issuer, and lets an expired token escape as a server error: `_verify_jws` replaces it.
- A person is the value of one stable claim (OIDC_SUBJECT_CLAIM: `sub`, or e.g. a staff-number claim), and
  an account is found only through the StaffIdentity an administrator linked to it. Never by e-mail (an
  address can be handed to someone else) nor by name. A claim taken from the user-info answer is used only
  when that answer's `sub` is the ID token's.
- Nothing is created and nothing is granted: an unknown subject is refused (the refusal is recorded as an
  SsoLogin, where the administrator sees which subject to link), roles and centre stay as the product's
  administrators set them whatever the token says, and a switched-off account stays out.
- Every attempt that reached the matching step is an SsoLogin row (who, when, subject, address, outcome).

Refusals reach the login page as a message in the user's language; the reason for the log stays in the log.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from govservice.login_limits import client_address
from govservice.masking import scrub

from .models import SsoLogin, StaffIdentity, User
from .services import sso_login_record

log = logging.getLogger(__name__)

# Set on the request by the backend for the callback view: why a sign-in was refused, in words for the user.
_REFUSAL = "_sso_refusal"
# Set on the request by the backend: (issuer, subject) of the account it let in, for the record.
_MATCH = "_sso_match"


def _refuse(request: HttpRequest, message: str) -> None:
    setattr(request, _REFUSAL, message)


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Finds the staff account linked to the platform's subject; creates none, grants nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.issuer = settings.OIDC_OP_ISSUER

    def authenticate(
        self, request: HttpRequest | None, nonce: str | None = None, code_verifier: str | None = None, **kwargs: Any
    ) -> User | None:
        # Only the callback's call (request, nonce, code verifier): a password login carries a username and
        # a password, and must never start a token exchange because its URL happens to hold code= and state=.
        if not settings.OIDC_ENABLED or request is None or nonce is None or kwargs:
            return None
        match = request.resolver_match
        if match is None or match.url_name != "oidc_authentication_callback":
            return None
        try:
            user = super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except (SuspiciousOperation, jwt.PyJWTError) as error:
            # PyJWTError: a token too broken to read a header from, before _verify_jws is reached.
            log.warning("sso: token refused: %s", type(error).__name__ if isinstance(error, jwt.PyJWTError) else error)
            _refuse(request, _("统一身份认证平台返回的登录凭证无效，请重新登录。"))
            return None
        except (requests.RequestException, ValueError, KeyError) as error:
            log.warning("sso: identity platform unreachable or answered badly: %s", type(error).__name__)
            _refuse(request, _("暂时无法连接统一身份认证平台，请稍后重试，或使用账号密码登录。"))
            return None
        return user

    def _verify_jws(self, payload: Any, key: Any) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(payload)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token unreadable: {type(error).__name__}") from error
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"ID token algorithm {header.get('alg')!r} is not {self.OIDC_RP_SIGN_ALGO!r}")
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {type(error).__name__}") from error
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token has several audiences and another authorized party")
        return claims

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return True  # the claim that matters is checked in get_or_create_user

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        # Never by e-mail: the library's default would match any account holding the token's address.
        return User.objects.none()

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User | None:
        request = self.request
        try:
            subject = self._subject(access_token, id_token, payload)
        except SuspiciousOperation:
            _refuse(request, _("统一身份认证平台返回的登录凭证无效，请重新登录。"))
            raise
        if not subject:
            log.warning("sso: the token carries no %s claim", settings.OIDC_SUBJECT_CLAIM)
            _refuse(request, _("统一身份认证平台未提供本系统所需的身份标识，请联系中心管理员。"))
            return None
        identity = StaffIdentity.objects.select_related("user").filter(issuer=self.issuer, subject=subject).first()
        address = client_address(request)
        if identity is None:
            log.warning("sso: unknown subject refused")
            sso_login_record(
                user=None,
                issuer=self.issuer,
                subject=subject,
                outcome=SsoLogin.Outcome.UNKNOWN_SUBJECT,
                address=address,
            )
            _refuse(
                request,
                _(
                    "统一身份认证已确认您的身份，但该身份尚未关联本系统的账号。请将以下统一身份标识告知中心管理员：%(subject)s"
                )
                % {"subject": scrub(subject)},
            )
            return None
        user = identity.user
        if not self.user_can_authenticate(user):
            sso_login_record(
                user=user, issuer=self.issuer, subject=subject, outcome=SsoLogin.Outcome.DISABLED, address=address
            )
            _refuse(request, _("您的账号已停用，无法登录。如有疑问请联系中心管理员。"))
            return None
        setattr(request, _MATCH, (self.issuer, subject))
        return user

    def _subject(self, access_token: str, id_token: str, payload: dict[str, Any]) -> str:
        """The stable claim's value: from the ID token, else from the user-info answer about the same `sub`."""
        claim = settings.OIDC_SUBJECT_CLAIM
        value = payload.get(claim)
        if value in (None, ""):
            info = self.get_userinfo(access_token, id_token, payload)
            if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("user-info answer is about another subject")
            value = info.get(claim)
        if isinstance(value, bool) or not isinstance(value, str | int):
            return ""
        return str(value).strip()


def _require_enabled() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404


class SsoStartView(OIDCAuthenticationRequestView):
    """GET /oidc/authenticate/?next=…: off to the platform's login page (404 while single sign-on is off)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_enabled()
        return super().dispatch(request, *args, **kwargs)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """GET /oidc/callback/?code=…&state=…: the platform sends the browser back here."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_enabled()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        platform_error = request.GET.get("error")
        if platform_error:
            log.info("sso: the platform answered %s", platform_error[:40])
            _refuse(request, _("统一身份认证平台未完成登录，请重试。"))
        elif "code" not in request.GET or "state" not in request.GET:
            _refuse(request, _("登录请求已失效，请重新登录。"))
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # A state this browser never asked for: a replayed or forged callback, or a second tab's.
            log.warning("sso: callback refused: %s", error)
            _refuse(request, _("登录请求已失效，请重新登录。"))
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, _REFUSAL, "") or _("登录请求已失效，请重新登录。")
        messages.error(self.request, reason)
        return HttpResponseRedirect(reverse(settings.LOGIN_URL))

    def login_success(self) -> HttpResponse:
        response: HttpResponse = super().login_success()
        issuer, subject = getattr(self.request, _MATCH)
        sso_login_record(
            user=self.user,
            issuer=issuer,
            subject=subject,
            outcome=SsoLogin.Outcome.SIGNED_IN,
            address=client_address(self.request),
        )
        log.info("sso: signed in", extra={"user_id": self.user.pk})
        return response
