"""Failed logins from one address, across every username (password spraying).

django-axes locks a username *from one address* after AXES_FAILURE_LIMIT failures, so nobody elsewhere can
lock a colleague out by typing their name. What axes does not count is one address trying many usernames:
this module counts every failed login per client address in the cache, and the login view refuses logins
from an address past LOGIN_FAILURE_LIMIT_PER_ADDRESS failures within AXES_COOLOFF_TIME. The limit is high:
a hall's staff share one NAT address, and their ordinary typos must not lock the hall.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse


def client_address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR") or "")


def _key(address: str) -> str:
    return f"login:failed:address:{address}"


def _window_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def address_failures(address: str) -> int:
    return int(cache.get(_key(address), 0)) if address else 0


def address_is_blocked(address: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    return limit > 0 and address_failures(address) >= limit


def is_single_sign_on_callback(request: HttpRequest | None, credentials: dict[str, Any] | None = None) -> bool:
    """A sign-in through the identity platform's callback (staff/sso.py), not a password being tried.

    Neither axes (AXES_WHITELIST_CALLABLE) nor the per-address limit counts these: no password is guessed
    there (the platform has authenticated the person; a forged callback fails on its state first), while
    a hall's unlinked colleagues behind one NAT address would otherwise lock every linked one out.
    Each refusal is an SsoLogin row or a log line instead.
    """
    if request is None or credentials is None or credentials.get("username") or "nonce" not in credentials:
        return False
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "oidc_authentication_callback"


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """`user_login_failed` receiver: one more failure for the request's address (window from the first)."""
    if is_single_sign_on_callback(request, credentials):
        return
    address = client_address(request)
    if not address:
        return
    key = _key(address)
    if cache.add(key, 1, timeout=_window_seconds()):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=_window_seconds())


class AddressLimitedLoginView(LoginView):
    """Django's login view, refusing (429) a sign-in from an address past the per-address limit.

    With single sign-on on (OIDC_ENABLED, staff/sso.py) the page offers the identity platform beside the form.
    """

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.OIDC_ENABLED
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if address_is_blocked(client_address(request)):
            # An unbound form: a bound one would check the password (and count one more failure) on render.
            form = self.get_form_class()(request)
            context = self.get_context_data(form=form, address_blocked=True, blocked_minutes=_window_seconds() // 60)
            response = self.render_to_response(context)
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)
