from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories.intake import hotline_channel, issued_key


@pytest.fixture
def channel(centre):
    return hotline_channel(centre)


@pytest.fixture
def raw_key(channel) -> str:
    return issued_key(channel)


class ChannelClient:
    """A test client that speaks for one channel key."""

    def __init__(self, key: str, language: str = "en") -> None:
        self.client = Client()
        self.key = key
        self.language = language

    def post(
        self,
        url: str,
        data: Any = None,
        *,
        idem: str | None = None,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        **extra: Any,
    ):
        headers = {"HTTP_AUTHORIZATION": f"Key {self.key}", "HTTP_ACCEPT_LANGUAGE": self.language, **extra}
        if idem is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idem
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(url, data=body, content_type=content_type, **headers)

    def get(self, url: str, **params: Any):
        return self.client.get(url, params, HTTP_AUTHORIZATION=f"Key {self.key}", HTTP_ACCEPT_LANGUAGE=self.language)


@pytest.fixture
def api(raw_key) -> ChannelClient:
    return ChannelClient(raw_key)


@pytest.fixture(autouse=True)
def _intake_urls(settings, request):
    """Isolated URLs unless INTAKE_REAL_URLS=1 (then the whole project's, as in production)."""
    import os

    if os.environ.get("INTAKE_REAL_URLS") != "1" and "real_urls" not in request.fixturenames:
        settings.ROOT_URLCONF = "tests.intake.urls"


@pytest.fixture
def real_urls():
    """Use the project's URLs (HTML screens need the navigation and the home page)."""


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Throttle counters in this process only: the file cache is shared with other test runs."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "intake"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rates():
    """`rates(channel=..., public=..., lookup=...)` sets throttle rates for one test."""
    from rest_framework.throttling import SimpleRateThrottle

    saved = SimpleRateThrottle.THROTTLE_RATES

    def _set(**overrides: str) -> None:
        SimpleRateThrottle.THROTTLE_RATES = {**saved, **overrides}

    yield _set
    SimpleRateThrottle.THROTTLE_RATES = saved
