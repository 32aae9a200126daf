"""The daily cap per number counts a phone's messages under every lookup key during a key change (issue 14)."""

from __future__ import annotations

import pytest

from notifications import services, tasks
from notifications.backends import locmem
from notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

PARAMS = {"tracking_no": "GS-2026-000001", "materials": "营业执照复印件", "deadline": "12月3日"}


def dispatch(capture) -> None:
    with capture(execute=True):
        tasks.sms_dispatch_task.delay()


def test_the_daily_cap_counts_messages_hashed_under_the_old_lookup_key(
    settings, template, daytime, django_capture_on_commit_callbacks
):
    settings.SMS_DAILY_CAP_PER_NUMBER = 2
    settings.FIELD_ENCRYPTION_KEY = "enc"
    settings.FIELD_LOOKUP_KEY = "lookup-old"
    for n in range(2):
        services.sms_enqueue(key=f"cap:{n}", phone="13812341234", template_code="correction_reminder", params=PARAMS)
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 2
    settings.FIELD_LOOKUP_KEY = "lookup-new,lookup-old"
    services.sms_enqueue(key="cap:2", phone="138 1234 1234", template_code="correction_reminder", params=PARAMS)
    dispatch(django_capture_on_commit_callbacks)
    assert len(locmem.outbox) == 2  # the third would be one over the cap for this phone
    assert SmsMessage.objects.get(key="cap:2").status == SmsMessage.Status.QUEUED
