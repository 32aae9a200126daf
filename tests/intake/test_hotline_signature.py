"""The hotline signature check over any input (Hypothesis): a correct signature within the window passes,
any change to the body, the signature or the secret fails, and a timestamp outside the window is stale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.work_orders import MAX_SKEW_SECONDS, SignatureRefused, hotline_signature, hotline_signature_check

NOW = 1_780_000_000
secrets_ = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=512)
skews = st.integers(min_value=-MAX_SKEW_SECONDS, max_value=MAX_SKEW_SECONDS)


@given(secret=secrets_, body=bodies, skew=skews)
def test_a_correct_signature_within_the_window_passes(secret, body, skew):
    ts = str(NOW + skew)
    signature = hotline_signature(secret=secret, timestamp=ts, body=body)
    assert hotline_signature_check(secret=secret, timestamp=ts, signature=signature, body=body, now=NOW) == NOW + skew
    # Upper-case hex is the same signature.
    hotline_signature_check(secret=secret, timestamp=ts, signature=signature.upper(), body=body, now=NOW)


@given(secret=secrets_, body=bodies, other=bodies, skew=skews)
def test_any_other_body_fails(secret, body, other, skew):
    if other == body:
        return
    ts = str(NOW + skew)
    signature = hotline_signature(secret=secret, timestamp=ts, body=body)
    with pytest.raises(SignatureRefused) as refused:
        hotline_signature_check(secret=secret, timestamp=ts, signature=signature, body=other, now=NOW)
    assert refused.value.reason == "bad_signature"


@given(secret=secrets_, other_secret=secrets_, body=bodies)
def test_another_secret_fails(secret, other_secret, body):
    if other_secret == secret:
        return
    ts = str(NOW)
    signature = hotline_signature(secret=other_secret, timestamp=ts, body=body)
    with pytest.raises(SignatureRefused):
        hotline_signature_check(secret=secret, timestamp=ts, signature=signature, body=body, now=NOW)


@given(secret=secrets_, body=bodies, signature=st.text(max_size=80))
def test_any_made_up_signature_fails_without_crashing(secret, body, signature):
    ts = str(NOW)
    if signature.strip().lower() == hotline_signature(secret=secret, timestamp=ts, body=body):
        return
    with pytest.raises(SignatureRefused):
        hotline_signature_check(secret=secret, timestamp=ts, signature=signature, body=body, now=NOW)


@given(
    secret=secrets_,
    body=bodies,
    skew=st.one_of(st.integers(max_value=-MAX_SKEW_SECONDS - 1), st.integers(min_value=MAX_SKEW_SECONDS + 1)),
)
def test_a_timestamp_outside_the_window_is_stale_even_when_signed_correctly(secret, body, skew):
    ts = NOW + skew
    if ts < 0:
        return
    signature = hotline_signature(secret=secret, timestamp=ts, body=body)
    with pytest.raises(SignatureRefused) as refused:
        hotline_signature_check(secret=secret, timestamp=str(ts), signature=signature, body=body, now=NOW)
    assert refused.value.reason in {"stale", "bad_timestamp"}


@given(timestamp=st.text(max_size=20))
def test_a_timestamp_that_is_not_plain_digits_is_refused(timestamp):
    if timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12:
        return
    with pytest.raises(SignatureRefused) as refused:
        hotline_signature_check(secret="s", timestamp=timestamp, signature="ab", body=b"", now=NOW)
    assert refused.value.reason in {"missing", "bad_timestamp"}
