"""A citizen's phone and ID numbers never appear in clear: not in any database column, not in the
logs, not in a Celery message, not in an API answer to staff without the unmask permission.

Creates a case, a complaint and an SMS through the services with known numbers, then greps.
"""

from __future__ import annotations

import json

import pytest
from celery.app.task import Task
from django.db import connection

from cases.services import case_create
from complaints.services import complaint_submit, evaluation_submit
from notifications.services import sms_enqueue
from tests.factories.cases import matter_with_materials
from tests.factories.complaints import ChannelFactory

PHONE = "13987650321"
ID_NUMBER = "11010519491231002X"
NEEDLES = (PHONE, ID_NUMBER, ID_NUMBER.lower())

pytestmark = pytest.mark.django_db


@pytest.fixture
def celery_bodies(monkeypatch):
    """Every task message's args/kwargs as JSON (Celery runs eagerly in tests; apply_async still sees them)."""
    bodies: list[str] = []
    original = Task.apply_async

    def recording(self, args=None, kwargs=None, *rest, **options):
        bodies.append(json.dumps({"task": self.name, "args": args, "kwargs": kwargs}, default=str))
        return original(self, args, kwargs, *rest, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    return bodies


def all_column_text() -> str:
    """Every row of every table, as text: what a plain SQL dump would hold."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row if v is not None))
    return "\n".join(chunks)


@pytest.fixture
def log_output():
    """A copy of what the configured log handlers write (same formatter, same masking filter)."""
    import io
    import logging

    stream = io.StringIO()
    root = logging.getLogger()
    configured = [h for h in root.handlers if h.filters]
    assert configured, "no configured log handler with the masking filter"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configured[0].formatter)
    for log_filter in configured[0].filters:
        handler.addFilter(log_filter)
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield stream
    root.setLevel(previous)
    root.removeHandler(handler)


def test_numbers_never_in_clear(
    centre, window_staff, leader, as_user, celery_bodies, log_output, django_capture_on_commit_callbacks
):
    matter = matter_with_materials(centre)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(
            actor=window_staff,
            matter_type_id=matter.id,
            applicant_kind="person",
            applicant_name="王小明",
            applicant_phone=PHONE,
            applicant_id_number=ID_NUMBER,
            note="首次来电咨询",
        )
        complaint_submit(
            centre=centre,
            channel=ChannelFactory(code="pii-hotline", centres=[centre]),
            content=f"窗口态度差，请回电{PHONE} 身份证{ID_NUMBER}",
            contact_name="王小明",
            contact_phone=PHONE,
        )
        evaluation_submit(
            centre=centre,
            channel=ChannelFactory(code="pii-qr", centres=[centre]),
            level=1,
            text=f"请回电{PHONE}",
        )
        sms_enqueue(
            key="pii-test-1",
            phone=PHONE,
            template_code="evaluation_invite",
            params={"tracking_no": case.tracking_no, "url": "https://example.invalid/e"},
            centre=centre,
        )
    import logging

    logging.getLogger("govservice.pii-probe").warning("citizen phone %s id %s", PHONE, ID_NUMBER)

    dump = all_column_text()
    assert dump, "the dump is empty: the grep would prove nothing"
    assert case.tracking_no in dump  # the grep does see the rows just made
    for needle in NEEDLES:
        assert needle not in dump, f"{needle} stored in clear in the database"

    logs = log_output.getvalue()
    assert "pii-probe" in logs and "139****0321" in logs, "logs were not captured: the grep would prove nothing"
    for needle in NEEDLES:
        assert needle not in logs, f"{needle} in the logs"

    for body in celery_bodies:
        for needle in NEEDLES:
            assert needle not in body, f"{needle} in a Celery message: {body[:200]}"

    for persona in (window_staff, leader):
        response = as_user(persona).get(f"/api/v1/cases/{case.public_id}/")
        assert response.status_code == 200, response.content[:300]
        text = response.content.decode()
        for needle in NEEDLES:
            assert needle not in text, f"{needle} in the case API answer for {persona.username}"


def test_a_number_typed_into_a_free_text_note_is_not_stored_in_clear(centre, window_staff):
    matter = matter_with_materials(centre)
    case_create(
        actor=window_staff,
        matter_type_id=matter.id,
        applicant_kind="person",
        applicant_name="王小明",
        note=f"来电 {PHONE}",
    )
    assert PHONE not in all_column_text()
