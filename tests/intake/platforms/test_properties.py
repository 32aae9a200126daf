"""Rules over any input: the signature round trip, and order per stream under any failure pattern."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govservice.outbound import OutboundError, OutboundResponse
from intake.models import PlatformMessage, PlatformStream
from intake.platforms import outbox
from intake.platforms.outbox import platform_message_enqueue, platform_send_pending
from intake.platforms.registry import PlatformAdapter, platform_register, platform_unregister
from intake.platforms.signing import platform_signature, platform_signature_verify

NOW = 1_765_000_000


@given(secret=st.text(min_size=1, max_size=64), body=st.binary(max_size=512), t=st.integers(0, 10**10))
def test_a_signature_verifies_with_its_secret_and_body(secret, body, t):
    header = platform_signature(secret=secret, timestamp=t, body=body)
    assert platform_signature_verify(secret=secret, header=header, body=body, now=t)


@given(
    secret=st.text(min_size=1, max_size=64),
    body=st.binary(min_size=1, max_size=512),
    flip=st.integers(min_value=0),
    other=st.text(min_size=1, max_size=64),
)
def test_a_changed_body_or_another_secret_does_not_verify(secret, body, flip, other):
    header = platform_signature(secret=secret, timestamp=NOW, body=body)
    index = flip % len(body)
    changed = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
    assert not platform_signature_verify(secret=secret, header=header, body=changed, now=NOW)
    if other != secret:
        assert not platform_signature_verify(secret=other, header=header, body=body, now=NOW)


@given(age=st.integers(min_value=301, max_value=10**6), sign=st.sampled_from([1, -1]))
def test_a_stale_or_future_signature_does_not_verify(age, sign):
    header = platform_signature(secret="s", timestamp=NOW - sign * age, body=b"{}")
    assert not platform_signature_verify(secret="s", header=header, body=b"{}", now=NOW)


@given(header=st.text(max_size=200))
def test_any_header_that_is_not_a_signature_is_refused(header):
    assert not platform_signature_verify(secret="s", header=header, body=b"{}", now=NOW)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    streams=st.lists(st.sampled_from("ABC"), min_size=1, max_size=12),
    answers=st.lists(st.sampled_from(["ok", "500", "timeout", "ok-lost"]), min_size=1, max_size=40),
    batch=st.integers(1, 5),
    steps=st.lists(st.integers(1, 90), min_size=1, max_size=30),
)
def test_any_failure_pattern_delivers_each_message_once_and_in_order_per_stream(
    centre, settings, monkeypatch, streams, answers, batch, steps
):
    """A fake transport (no server: many examples) answers from `answers`; "ok-lost" is a request the platform
    accepted but whose answer never arrived (the client sees a time-out and sends it again)."""
    settings.PLATFORM_ENDPOINTS = {"prop": {"url": "https://platform.example/push", "secret": "k"}}
    platform_register(PlatformAdapter(code="prop", label="Prop", batch_size=batch))
    PlatformMessage.objects.all().delete()
    PlatformStream.objects.all().delete()
    received: list[tuple[str, int, str]] = []
    seen: set[str] = set()
    script = list(answers)

    def fake_request(method, url, *, body, headers, **kwargs):
        import json

        answer = script.pop(0) if script else "ok"
        if answer == "timeout":
            raise OutboundError(OutboundError.UNREACHABLE, "timed out")
        if answer == "500":
            return OutboundResponse(status=500, body=b"", headers={})
        for item in json.loads(body)["messages"]:
            if item["message_id"] not in seen:  # the receiver drops repeats by message id
                seen.add(item["message_id"])
                received.append((item["stream"], item["sequence"], item["message_id"]))
        if answer == "ok-lost":
            raise OutboundError(OutboundError.UNREACHABLE, "answer lost")
        return OutboundResponse(status=200, body=b"{}", headers={})

    monkeypatch.setattr(outbox.outbound, "request", fake_request)
    try:
        _run(centre, streams, answers, received, steps)
    finally:
        platform_unregister("prop")


def _run(centre, streams, answers, received, steps) -> None:
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), tick=False) as clock:
        for key in streams:
            platform_message_enqueue(platform="prop", centre=centre, stream_key=key, kind="k", payload={})
        # The beat every few seconds to minutes, then long enough for the longest back-off to pass.
        for step in [*steps, *([600] * (len(answers) + len(streams) + 12))]:
            platform_send_pending(platform="prop", max_batches=1)
            clock.shift(timedelta(seconds=step))
    assert len(received) == len(streams)  # every message, once
    for key in set(streams):
        sequences = [seq for stream, seq, _id in received if stream == key]
        assert sequences == list(range(1, streams.count(key) + 1))  # in order, none skipped
    assert not PlatformMessage.objects.exclude(status=PlatformMessage.Status.SENT).exists()
