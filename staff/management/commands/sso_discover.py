"""Print the single sign-on settings of an identity platform, read from its OpenID Connect discovery document.

`manage.py sso_discover https://idp.example.gov.cn` fetches `<issuer>/.well-known/openid-configuration` and
prints the OIDC_* environment lines for the endpoints (README "Single sign-on"); the client id and secret
come from the platform's registration, not from here. Refuses a document whose `issuer` is not the one
asked for (ID tokens would then fail the issuer check) and a platform that cannot sign with RS256 or
another asymmetric algorithm.
"""

from __future__ import annotations

from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

_ENDPOINTS = (
    ("OIDC_OP_AUTHORIZATION_ENDPOINT", "authorization_endpoint", True),
    ("OIDC_OP_TOKEN_ENDPOINT", "token_endpoint", True),
    ("OIDC_OP_USER_ENDPOINT", "userinfo_endpoint", True),
    ("OIDC_OP_JWKS_ENDPOINT", "jwks_uri", True),
    ("OIDC_OP_END_SESSION_ENDPOINT", "end_session_endpoint", False),
)


class Command(BaseCommand):
    help = "Print the OIDC_* settings of an identity platform from its discovery document."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("issuer", help="the platform's issuer URL, as in its ID tokens' iss")
        parser.add_argument("--timeout", type=int, default=10, help="seconds to wait for the platform")

    def handle(self, *args: Any, issuer: str, timeout: int, **options: Any) -> None:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=timeout)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise CommandError(f"{url}: no discovery document ({type(error).__name__}: {error})") from error
        if not isinstance(document, dict):
            raise CommandError(f"{url}: the discovery document is not a JSON object")
        if document.get("issuer") != issuer:
            raise CommandError(f"the document names the issuer {document.get('issuer')!r}, not {issuer!r}")
        missing = [key for _name, key, required in _ENDPOINTS if required and not document.get(key)]
        if missing:
            raise CommandError(f"the document lacks {', '.join(missing)}")
        algorithms = document.get("id_token_signing_alg_values_supported") or []
        asymmetric = [alg for alg in algorithms if isinstance(alg, str) and alg.startswith(("RS", "ES", "PS"))]
        if not asymmetric:
            raise CommandError(f"the platform signs ID tokens with {algorithms!r}: no asymmetric algorithm")
        lines = ["OIDC_ENABLED=1", f"OIDC_OP_ISSUER={issuer}"]
        lines += [f"{name}={document[key]}" for name, key, _required in _ENDPOINTS if document.get(key)]
        lines.append(f"OIDC_RP_SIGN_ALGO={'RS256' if 'RS256' in asymmetric else asymmetric[0]}")
        lines += ["OIDC_RP_CLIENT_ID=", "OIDC_RP_CLIENT_SECRET="]
        self.stdout.write("\n".join(lines))
