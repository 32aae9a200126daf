"""Sign-out that also ends the identity platform's session when the person came in through it.

Single sign-on (staff/sso.py) keeps the platform's ID token in the session. Signing out here while the
platform's own session lives on would let the next person at a shared counter PC click "sign in with the
unified identity platform" and be let in as the previous one: so when the platform publishes an
end_session endpoint (OIDC_OP_END_SESSION_ENDPOINT), sign-out goes on there (RP-initiated logout, with the
token as id_token_hint) and the platform sends the browser back to the login page. Password sign-ins, and
a platform without that endpoint, end as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

# The session key mozilla-django-oidc stores the ID token under (OIDC_STORE_ID_TOKEN).
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 - a session key name, not a secret


def end_session_url(request: HttpRequest, id_token: str) -> str:
    """The platform's end-session URL for this ID token, coming back to our login page."""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
        }
    )
    endpoint = settings.OIDC_OP_END_SESSION_ENDPOINT
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class SignOutView(LogoutView):
    """Django's logout (POST only), then on to the platform's end_session endpoint after an SSO sign-in."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if id_token and settings.OIDC_ENABLED and settings.OIDC_OP_END_SESSION_ENDPOINT:
            return HttpResponseRedirect(end_session_url(request, str(id_token)))
        return response
