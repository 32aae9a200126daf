from __future__ import annotations

from collections.abc import Iterator

import pytest

from intake.platforms.registry import PlatformAdapter, platform_register, platform_unregister

from .fake_platform import FakePlatform, serve

SECRET = "fake-platform-secret-0123456789"


@pytest.fixture
def fake_adapter() -> Iterator[PlatformAdapter]:
    adapter = PlatformAdapter(code="fake", label="Fake", batch_size=1)
    platform_register(adapter)
    yield adapter
    platform_unregister("fake")


@pytest.fixture
def platform(settings, fake_adapter) -> Iterator[FakePlatform]:
    """The fake platform, running, and this deployment set up to reach it (loopback allowed, plain http)."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.PLATFORM_ALLOW_HTTP = True
    settings.PLATFORM_READ_TIMEOUT_SECONDS = 1
    state = FakePlatform(secret=SECRET)
    for running in serve(state):
        settings.PLATFORM_ENDPOINTS = {**settings.PLATFORM_ENDPOINTS, "fake": {"url": running.url, "secret": SECRET}}
        yield running
