"""The outbox and in-app notices store no phone or ID number a person typed into their text."""

from __future__ import annotations

import pytest
from django.db import connection

from notifications import services

pytestmark = pytest.mark.django_db


def test_sms_parameters_are_stored_scrubbed(leader):
    message = services.sms_enqueue(
        key="note:1",
        phone="13800001111",
        template_code="ledger_notice",
        params={"text": "群众来电13912345678反映", "items": ["身份证110101199003077774"], "count": 2},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT params FROM notifications_smsmessage WHERE id = %s", [message.id])
        raw = cursor.fetchone()[0]
    assert "13912345678" not in raw and "110101199003077774" not in raw
    message.refresh_from_db()
    assert message.params == {"text": "群众来电139****5678反映", "items": ["身份证110101********7774"], "count": 2}


def test_a_notice_text_is_stored_scrubbed(leader):
    notice = services.notice_send(recipient=leader, key="n:1", text="请回电13912345678", url="")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM notifications_notice WHERE id = %s", [notice.id])
        assert cursor.fetchone()[0] == "请回电139****5678"
