from __future__ import annotations

import pytest

from complaints.models import Channel, EvaluationTag
from tests.factories.complaints import channel_for
from tests.factories.staff import UserFactory


@pytest.fixture
def qr_channel(centre) -> Channel:
    return channel_for(centre, Channel.Kind.QR_CODE)


@pytest.fixture
def hotline(centre) -> Channel:
    return channel_for(centre, Channel.Kind.HOTLINE)


@pytest.fixture
def sms_channel(centre) -> Channel:
    return channel_for(centre, Channel.Kind.SMS_LINK)


@pytest.fixture
def attitude_tag() -> EvaluationTag:
    return EvaluationTag.objects.create(code="attitude", label="服务态度差", levels=[1, 2], category="attitude")


@pytest.fixture
def second_leader(centre):
    from staff.models import Role

    return UserFactory(centre=centre, username="leader3", name="孙丽", roles=[Role.LEADER])


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Rate-limit counters live in the cache; the default file cache is shared by parallel test workers
    (and cleared by each of them), so these tests count in a per-process memory cache instead."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "complaints"}
    }
    yield
