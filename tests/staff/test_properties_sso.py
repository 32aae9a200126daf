"""The ID-token check of single sign-on (staff/sso.py) over any issuer, audience, expiry and signing key:
a token is accepted exactly when it is ours, from our platform, current, and signed by the platform's key."""

from __future__ import annotations

import time

import jwt
import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from staff.sso import StaffOIDCBackend
from tests.staff.fake_idp import new_key

ISSUER = "https://idp.example.gov.cn"
CLIENT = "govservice"
KEY = new_key()
OTHER_KEY = new_key()
SKEW = 60

SSO = {
    "OIDC_ENABLED": True,
    "OIDC_OP_ISSUER": ISSUER,
    "OIDC_RP_CLIENT_ID": CLIENT,
    "OIDC_RP_CLIENT_SECRET": "s",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example.gov.cn/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example.gov.cn/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example.gov.cn/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_CLOCK_SKEW_SECONDS": SKEW,
}

names = st.one_of(st.sampled_from([ISSUER, CLIENT, ISSUER + "/", CLIENT.upper()]), st.text(max_size=20))


@given(
    issuer=names,
    audience=st.one_of(names, st.lists(names, min_size=1, max_size=3)),
    expires_in=st.integers(min_value=-100_000, max_value=100_000),
    ours=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_a_token_is_accepted_exactly_when_it_is_ours_current_and_signed_by_the_platform(
    issuer, audience, expires_in, ours
):
    now = int(time.time())
    token = jwt.encode(
        {"iss": issuer, "aud": audience, "sub": "x", "iat": now, "exp": now + expires_in},
        KEY if ours else OTHER_KEY,
        algorithm="RS256",
    )
    audiences = audience if isinstance(audience, list) else [audience]
    # A margin around the skew: the check and this test read the clock at slightly different times.
    if -SKEW - 5 <= expires_in <= -SKEW + 5:
        return
    acceptable = ours and issuer == ISSUER and audiences == [CLIENT] and expires_in > -SKEW
    with override_settings(**SSO):
        backend = StaffOIDCBackend()
        if acceptable:
            assert backend._verify_jws(token, KEY.public_key())["sub"] == "x"
        else:
            with pytest.raises(SuspiciousOperation):
                backend._verify_jws(token, KEY.public_key())
