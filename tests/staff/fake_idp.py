"""A fake unified identity platform (OpenID Connect provider) on 127.0.0.1 for the single sign-on tests.

It serves discovery, authorize, token, userinfo, JWKS and end_session, signs ID tokens with an RSA key made
for the test, and checks what a real provider checks of the client: its id and secret, the code's redirect
URI, the PKCE verifier. A test says who logs in next (`next_login`) and may spoil the next token
(`token_claims`: claims overridden or removed; `sign_with` another key).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

CLIENT_ID = "govservice-test"
CLIENT_SECRET = "fake-idp-secret"  # noqa: S105
KEY_ID = "fake-key-1"

_DROP = object()  # in token_claims: leave this claim out of the token


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeIdP:
    base_url: str = ""
    key: RSAPrivateKey = field(default_factory=new_key)
    # The platform's user for the next authorize call: claims of the ID token and of userinfo.
    next_login: dict[str, Any] = field(default_factory=lambda: {"sub": "idp-user-1"})
    # Claims of the next ID token overridden (value) or left out (DROP).
    token_claims: dict[str, Any] = field(default_factory=dict)
    # Claims userinfo answers instead of the login's own (None: the login's).
    userinfo: dict[str, Any] | None = None
    sign_with: RSAPrivateKey | None = None
    # The next token answer's id_token as given (a broken one); None: a proper signed token.
    raw_id_token: str | None = None
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests_seen: list[str] = field(default_factory=list)
    ended_sessions: list[str] = field(default_factory=list)

    DROP = _DROP

    @property
    def issuer(self) -> str:
        return self.base_url

    def settings(self) -> dict[str, Any]:
        return {
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.base_url}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.base_url}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.base_url}/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.base_url}/jwks",
            "OIDC_OP_END_SESSION_ENDPOINT": f"{self.base_url}/end_session",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()

        def b64(value: int) -> str:
            raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        return {
            "keys": [
                {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID, "n": b64(numbers.n), "e": b64(numbers.e)}
            ]
        }

    def id_token(self, *, nonce: str | None, claims: dict[str, Any]) -> str:
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **claims}
        if nonce is not None:
            body["nonce"] = nonce
        for name, value in self.token_claims.items():
            if value is _DROP:
                body.pop(name, None)
            else:
                body[name] = value
        key = self.sign_with or self.key
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": KEY_ID})


def _handler(idp: FakeIdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            idp.requests_seen.append(url.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": idp.issuer,
                        "authorization_endpoint": f"{idp.base_url}/authorize",
                        "token_endpoint": f"{idp.base_url}/token",
                        "userinfo_endpoint": f"{idp.base_url}/userinfo",
                        "jwks_uri": f"{idp.base_url}/jwks",
                        "end_session_endpoint": f"{idp.base_url}/end_session",
                        "id_token_signing_alg_values_supported": ["RS256"],
                    },
                )
            elif url.path == "/jwks":
                self._json(200, idp.jwks())
            elif url.path == "/authorize":
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                    self._json(400, {"error": "invalid_request"})
                    return
                code = secrets.token_urlsafe(16)
                idp.codes[code] = {
                    "nonce": query.get("nonce"),
                    "redirect_uri": query["redirect_uri"],
                    "challenge": query.get("code_challenge"),
                    "claims": dict(idp.next_login),
                }
                location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                self.send_response(302)
                self.send_header("Location", location)
                self.end_headers()
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in idp.tokens:
                    self._json(401, {"error": "invalid_token"})
                    return
                self._json(200, idp.userinfo if idp.userinfo is not None else idp.tokens[token])
            elif url.path == "/end_session":
                idp.ended_sessions.append(query.get("id_token_hint", ""))
                back = query.get("post_logout_redirect_uri")
                if back:
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                else:
                    self._json(200, {"ended": True})
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            url = urlparse(self.path)
            idp.requests_seen.append(url.path)
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if url.path != "/token":
                self._json(404, {"error": "not_found"})
                return
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                self._json(401, {"error": "invalid_client"})
                return
            grant = idp.codes.pop(form.get("code", ""), None)  # a code is good once
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
                return
            if grant["challenge"]:
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if digest != grant["challenge"]:
                    self._json(400, {"error": "invalid_grant"})
                    return
            access_token = secrets.token_urlsafe(16)
            idp.tokens[access_token] = grant["claims"]
            self._json(
                200,
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": idp.raw_id_token
                    if idp.raw_id_token is not None
                    else idp.id_token(nonce=grant["nonce"], claims=grant["claims"]),
                },
            )

    return Handler


class RunningIdP:
    """The fake on a free port of 127.0.0.1, in a thread, until `stop()`."""

    def __init__(self) -> None:
        self.idp = FakeIdP()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.idp))
        self.idp.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
