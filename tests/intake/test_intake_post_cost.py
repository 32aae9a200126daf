"""What one channel POST costs in SQL, and the guarantees the cheaper path must keep.

Statement counts are deterministic: the speed itself is measured by bench/run.py.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from complaints.models import Channel, Evaluation, EvaluationEvent
from govservice.models import OutboxMessage
from intake.auth import KEY_CACHE_SECONDS
from intake.models import ChannelKey, IdempotencyRecord
from intake.services import channel_key_revoke
from tests import queries
from tests.factories.intake import hotline_channel, issued_key, window_device_channel
from tests.intake.conftest import ChannelClient

EVALUATIONS = "/api/v1/intake/evaluations/"


_statements = queries.statements


def _warm(api: ChannelClient) -> None:
    """Two requests: the first records the key's use (and renews its cache token), the second caches it."""
    for n in range(2):
        assert api.post(EVALUATIONS, {"level": 5, "external_id": f"warm-{n}"}, idem=f"warm-{n}").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_one_intake_post_of_a_good_rating_is_three_inserts_in_one_transaction(centre):
    """As in production: no surrounding transaction, the request's atomic() is the outermost."""
    api = ChannelClient(issued_key(hotline_channel(centre)))
    _warm(api)
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(EVALUATIONS, {"level": 5, "text": "很好", "external_id": "E-1"}, idem="idem-1")
    assert response.status_code == 201, response.content
    assert _statements(ctx) == [
        # No key, centre, idempotency or external-id look-up first, and no savepoint: the
        # evaluation is the transaction's first write, so a clash may roll it back whole.
        "INSERT complaints_evaluation",
        "INSERT complaints_evaluationevent",
        "INSERT intake_idempotencyrecord",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_resend_on_the_fast_path_is_rolled_back_whole_and_answered_with_the_first(centre):
    api = ChannelClient(issued_key(hotline_channel(centre)))
    _warm(api)
    first = api.post(EVALUATIONS, {"level": 5, "external_id": "F-1"}, idem="f-a")
    with CaptureQueriesContext(connection) as ctx:
        again = api.post(EVALUATIONS, {"level": 3, "external_id": "F-1"}, idem="f-b")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert _statements(ctx) == [
        "INSERT complaints_evaluation",  # the fast path: the clash rolls the whole attempt back
        "ROLLBACK",
        "SAVEPOINT",  # the second attempt keeps its transaction usable after the clash
        "INSERT complaints_evaluation",
        "ROLLBACK",
        "RELEASE",
        "SELECT complaints_evaluation",  # the first record
        "SELECT staff_centre",  # its centre, for the answer
        "INSERT intake_idempotencyrecord",
    ]
    assert Evaluation.objects.filter(external_id="F-1").count() == 1
    assert EvaluationEvent.objects.filter(evaluation__external_id="F-1").count() == 1
    assert IdempotencyRecord.objects.get(key="f-b").response_status == 200
    replay = api.post(EVALUATIONS, {"level": 3, "external_id": "F-1"}, idem="f-b")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    # Without an Idempotency-Key the same: the service's own transaction is the one rolled back.
    bare = api.post(EVALUATIONS, {"level": 3, "external_id": "F-1"})
    assert bare.status_code == 200 and bare.json() == first.json()
    assert Evaluation.objects.filter(external_id="F-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_second_rating_of_a_case_on_the_fast_path_is_the_translated_409_and_is_stored(centre, window_staff):
    from tests.factories.complaints import completed_case

    case: Case = completed_case(centre=centre, handler=window_staff)
    raw = issued_key(window_device_channel(centre))  # the counter's device: it served the case
    api, zh = ChannelClient(raw), ChannelClient(raw, language="zh-hans")
    assert api.post(EVALUATIONS, {"level": 5, "case": case.tracking_no}, idem="k1").status_code == 201
    response = api.post(EVALUATIONS, {"level": 3, "case": case.tracking_no}, idem="k2")
    assert response.status_code == 409
    assert response.json()["errors"]["case"] == ["This case has already been rated (one rating per case)."]
    assert zh.post(EVALUATIONS, {"level": 3, "case": case.tracking_no}).json()["errors"]["case"] == [
        "该办件已评价（一事一评）。"
    ]
    assert IdempotencyRecord.objects.get(key="k2").response_status == 409
    assert Evaluation.objects.filter(case=case).count() == 1
    assert EvaluationEvent.objects.filter(evaluation__case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_bad_rating_adds_only_its_bad_review_flow(centre, leader):
    api = ChannelClient(issued_key(hotline_channel(centre)))
    _warm(api)
    # The first bad rating reads the centre's policy and the work calendar; this process keeps both
    # (govservice/process_copy.py) while their tokens hold, so the next one does not.
    assert api.post(EVALUATIONS, {"level": 2, "external_id": "E-bad-0"}, idem="idem-bad-0").status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(EVALUATIONS, {"level": 1, "external_id": "E-bad"}, idem="idem-bad")
    assert response.status_code == 201, response.content
    statements = _statements(ctx)
    # The request's transaction ends with the idempotency row. The update feed and the owner's notice are
    # one outbox row in it (govservice/outbox.py); here the drain runs eagerly after the commit (tests run
    # Celery eagerly), in production in a worker after the response.
    request = statements[: statements.index("INSERT intake_idempotencyrecord") + 1]
    assert request == [
        "INSERT complaints_evaluation",
        "INSERT complaints_evaluationevent",
        "SELECT staff_user",  # the default owner: centre admin, else a leader, in one query
        "INSERT complaints_badreview",
        "INSERT complaints_evaluationevent",
        "INSERT govservice_outboxmessage",  # the feed entry and the owner's notice, after the response
        "INSERT intake_idempotencyrecord",
    ]
    drain = statements[len(request) :]
    assert drain[:3] == [
        "SELECT govservice_outboxmessage",
        "UPDATE govservice_outboxmessage",
        "SELECT govservice_outboxmessage",
    ]
    assert "INSERT intake_feedentry" in drain and drain[-1] == "DELETE govservice_outboxmessage"
    assert not OutboxMessage.objects.exists()


# --- duplicates: the unique constraint instead of a look-up ------------------------------------


@pytest.mark.django_db
def test_a_resent_external_id_answers_200_with_the_first_and_stores_that_answer(api):
    first = api.post(EVALUATIONS, {"level": 5, "external_id": "H-1"}, idem="a")
    again = api.post(EVALUATIONS, {"level": 2, "external_id": "H-1"}, idem="b")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Evaluation.objects.count() == 1
    assert EvaluationEvent.objects.filter(action="submitted").count() == 1
    # The transaction stayed usable after the clash: the answer was stored under its key.
    assert IdempotencyRecord.objects.get(key="b").response_status == 200
    replay = api.post(EVALUATIONS, {"level": 2, "external_id": "H-1"}, idem="b")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_resend_is_answered_with_the_first_even_if_a_reference_went_away(api, window_staff):
    window_staff.staff_no = "S9"
    window_staff.save()
    first = api.post(EVALUATIONS, {"level": 4, "staff_no": "S9", "external_id": "H-2"})
    window_staff.is_active = False
    window_staff.save()
    again = api.post(EVALUATIONS, {"level": 4, "staff_no": "S9", "external_id": "H-2"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.django_db
def test_a_second_rating_of_a_case_is_the_same_translated_409_and_is_stored(centre, window_staff):
    from tests.factories.complaints import completed_case

    case: Case = completed_case(centre=centre, handler=window_staff)
    raw_key = issued_key(window_device_channel(centre))  # the counter's device: it served the case
    api, zh = ChannelClient(raw_key), ChannelClient(raw_key, language="zh-hans")
    assert api.post(EVALUATIONS, {"level": 5, "case": case.tracking_no, "external_id": "C-1"}).status_code == 201
    response = api.post(EVALUATIONS, {"level": 3, "case": case.tracking_no, "external_id": "C-2"}, idem="c2")
    assert response.status_code == 409
    assert response.json()["errors"]["case"] == ["This case has already been rated (one rating per case)."]
    assert zh.post(EVALUATIONS, {"level": 3, "case": case.tracking_no}).json()["errors"]["case"] == [
        "该办件已评价（一事一评）。"
    ]
    assert api.post(EVALUATIONS, {"level": 3, "case": case.tracking_no, "external_id": "C-2"}, idem="c2").json() == (
        response.json()
    )
    assert Evaluation.objects.filter(case=case).count() == 1


# --- the key cache: every door that changes a key, its channel or centres ---------------------


def _revoke_by_service(key: ChannelKey, channel: Channel) -> None:
    channel_key_revoke(key_id=key.pk)


def _revoke_by_admin_action(key: ChannelKey, channel: Channel) -> None:
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from intake.admin import ChannelKeyAdmin

    request = RequestFactory().post("/")
    swallow = type("M", (), {"add": lambda *a, **k: None})()  # takes the action's success message
    request._messages = swallow  # type: ignore[attr-defined]  # MessageMiddleware's; RequestFactory runs none
    ChannelKeyAdmin(ChannelKey, site).revoke(request, ChannelKey.objects.filter(pk=key.pk))


def _delete_key(key: ChannelKey, channel: Channel) -> None:
    key.delete()


def _deactivate_channel(key: ChannelKey, channel: Channel) -> None:
    channel.is_active = False
    channel.save()


def _remove_centre_from_channel(key: ChannelKey, channel: Channel) -> None:
    channel.centres.clear()


def _remove_channel_from_centre(key: ChannelKey, channel: Channel) -> None:
    centre = channel.centres.first()
    assert centre is not None  # the fixture's channel serves one centre
    centre.channels.remove(channel)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "door",
    [
        _revoke_by_service,
        _revoke_by_admin_action,
        _delete_key,
        _deactivate_channel,
        _remove_centre_from_channel,
        _remove_channel_from_centre,
    ],
)
def test_a_cached_key_is_refused_on_the_next_request_whichever_door_changed_it(api, channel, door):
    _warm(api)
    with CaptureQueriesContext(connection) as ctx:
        assert api.post(EVALUATIONS, {"level": 5}).status_code == 201
    assert "SELECT intake_channelkey" not in _statements(ctx)  # served from the cache
    door(ChannelKey.objects.get(channel=channel), channel)
    response = api.post(EVALUATIONS, {"level": 5})
    assert response.status_code in (400, 403), response.content
    assert Evaluation.objects.count() == 3


@pytest.mark.django_db
def test_a_renamed_centre_is_answered_under_its_new_code(api, channel, centre):
    _warm(api)
    centre.code = "renamed"
    centre.save()
    assert api.post(EVALUATIONS, {"level": 5}).json()["centre"] == "renamed"


@pytest.mark.django_db
def test_the_cache_holds_no_raw_key_and_nothing_for_unknown_prefixes(api, raw_key, channel):
    _warm(api)
    entries = cache._cache  # LocMemCache in tests: everything stored, pickled
    assert entries and not any(raw_key.encode() in value for value in entries.values())
    before = set(entries)
    assert ChannelClient("gsk_0123abcd_not-a-key").post(EVALUATIONS, {"level": 5}).status_code == 403
    assert set(entries) == before
    assert 0 < KEY_CACHE_SECONDS <= 300  # a backstop for writes no door sees


@pytest.mark.django_db
def test_two_channels_keep_their_own_keys_in_the_cache(centre, other_centre):
    first = ChannelClient(issued_key(hotline_channel(centre, code="one")))
    second = ChannelClient(issued_key(hotline_channel(other_centre, code="two")))
    for _ in range(3):
        assert first.post(EVALUATIONS, {"level": 5}).json()["centre"] == centre.code
        assert second.post(EVALUATIONS, {"level": 5}).json()["centre"] == other_centre.code


# --- complaints: the same fast path ----------------------------------------------------------

COMPLAINTS = "/api/v1/intake/complaints/"


@pytest.mark.django_db(transaction=True)
def test_a_complaint_post_looks_nothing_up_before_its_insert_and_has_no_savepoint(centre):
    api = ChannelClient(issued_key(hotline_channel(centre)))
    _warm(api)
    # The centre's reply-deadline rules are read once, then cached (complaints.deadlines.centre_reply_rules).
    assert api.post(COMPLAINTS, {"content": "预热", "external_id": "T-0"}, idem="t-0").status_code == 201
    with CaptureQueriesContext(connection) as ctx:
        response = api.post(COMPLAINTS, {"content": "排队太久", "external_id": "T-1"}, idem="t-1")
    assert response.status_code == 201, response.content
    statements = _statements(ctx)
    request = statements[: statements.index("INSERT intake_idempotencyrecord") + 1]
    assert request == [
        "INSERT complaints_complaint",
        "INSERT complaints_complaintevent",
        "INSERT govservice_outboxmessage",  # the feed entry and the received notice, after the response
        "INSERT intake_idempotencyrecord",
    ]


@pytest.mark.django_db(transaction=True)
def test_without_eager_celery_a_complaint_post_ends_with_its_commit_and_the_drain_does_the_rest(
    centre, monkeypatch, settings
):
    """As in production: after the commit the request only nudges a drain (at most once a second); the feed
    entry is written by the drain, from the outbox row committed with the complaint."""
    from govservice import outbox
    from govservice.celery import app
    from intake.models import FeedEntry

    app.conf.task_always_eager = False  # reset by the autouse fixture of tests/conftest.py
    settings.OUTBOX_NUDGE_MS = 1000
    nudges: list[float | None] = []
    monkeypatch.setattr(outbox, "_publish", lambda task, *, countdown: nudges.append(countdown))
    monkeypatch.setattr(outbox, "_next_nudge_at", 0.0)
    api = ChannelClient(issued_key(hotline_channel(centre)))
    with CaptureQueriesContext(connection) as ctx:
        for n in range(3):
            assert api.post(COMPLAINTS, {"content": "排队太久", "external_id": f"N-{n}"}).status_code == 201
    statements = _statements(ctx)
    assert "INSERT intake_feedentry" not in statements and statements.count("INSERT govservice_outboxmessage") == 3
    assert nudges == [1.0]  # one delayed drain for the three
    assert not FeedEntry.objects.exists()
    app.conf.task_always_eager = True  # the worker's drain: the received task runs here
    assert outbox.outbox_drain_all() == 3
    assert sorted(FeedEntry.objects.values_list("external_id", flat=True)) == ["N-0", "N-1", "N-2"]
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_resent_complaint_is_answered_with_the_first_on_the_fast_path(centre):
    from complaints.models import Complaint, ComplaintEvent

    api = ChannelClient(issued_key(hotline_channel(centre)))
    first = api.post(COMPLAINTS, {"content": "排队太久", "external_id": "T-2"}, idem="t-a")
    again = api.post(COMPLAINTS, {"content": "another text", "external_id": "T-2"}, idem="t-b")
    bare = api.post(COMPLAINTS, {"content": "another text", "external_id": "T-2"})
    assert (first.status_code, again.status_code, bare.status_code) == (201, 200, 200)
    assert again.json() == first.json() == bare.json()
    assert Complaint.objects.filter(external_id="T-2").count() == 1
    assert ComplaintEvent.objects.filter(complaint__external_id="T-2").count() == 1
    assert IdempotencyRecord.objects.get(key="t-b").response_status == 200


@pytest.mark.django_db
def test_a_resent_complaint_is_answered_with_the_first_even_if_a_reference_went_away(api, centre):
    from staff.models import Window

    Window.objects.create(centre=centre, code="W9", name="窗口 9")
    first = api.post(COMPLAINTS, {"content": "排队太久", "window": "W9", "external_id": "T-3"})
    Window.objects.filter(code="W9").delete()
    again = api.post(COMPLAINTS, {"content": "排队太久", "window": "W9", "external_id": "T-3"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_no"] == first.json()["tracking_no"]


# --- validation messages ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("first, then", [("zh-hans", "en"), ("en", "zh-hans")])
def test_a_validation_message_comes_in_each_requests_language_whoever_asked_first(raw_key, first, then):
    # DRF's max-value message is a `lazy_format` that keeps the text of its first reading: a field
    # shared across requests once answered every later request in the first one's language.
    expected = {"zh-hans": "请确保该值小于或者等于 5。", "en": "Ensure this value is less than or equal to 5."}
    for language in (first, then, first):
        response = ChannelClient(raw_key, language=language).post(EVALUATIONS, {"level": 9})
        assert response.status_code == 400, response.content
        assert response.json()["errors"]["level"] == [expected[language]]
