"""一次一评 (complaints/one_rating.py): one counted rating per phone, window and day; device and burst limits."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import one_rating, services
from complaints.models import Channel, Evaluation, OneRatingPolicy, Screening
from complaints.one_rating import Limits, Rating, decide
from complaints.selectors import evaluation_counts_by_staff
from tests.factories.complaints import channel_for
from tests.factories.staff import UserFactory, WindowFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 2, 8, 0, tzinfo=SHANGHAI)
LIMITS = Limits(device_daily_limit=1, burst_count=3, burst_minutes=5)


# --- the pure rule, over any sequence of ratings (Hypothesis) ------------------------------------------------

one_submission = st.tuples(
    st.sampled_from(["p1", "p2", ""]),  # phone ("" none)
    st.sampled_from(["d1", "d2", ""]),  # device
    st.sampled_from([1, 2]),  # window
    st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes after START (three days)
    st.booleans(),  # rating of a window (not of a case)
)


def _run(submissions, *, staff_phones=frozenset(), limits=LIMITS) -> list[Rating]:
    """Feed the submissions to `decide` in arrival order and keep the marks, as the database side does."""
    stored: list[Rating] = []
    for pk, (phone, device, window, minutes, in_group) in enumerate(submissions, start=1):
        new = Rating(
            id=None,
            rated_at=START + timedelta(minutes=minutes),
            window_id=window,
            phone=phone,
            device=device,
            in_group=in_group,
            excluded=False,
        )
        decision = decide(new, stored, staff_phone=phone in staff_phones, limits=limits)
        for i, row in enumerate(stored):
            if row.id in decision.marks:
                stored[i] = Rating(**{**row.__dict__, "excluded": True, "screening": decision.marks[row.id]})
        stored.append(
            Rating(**{**new.__dict__, "id": pk, "excluded": bool(decision.screening), "screening": decision.screening})
        )
    return stored


def _day(rating: Rating):
    return rating.rated_at.astimezone(SHANGHAI).date()


@settings(max_examples=300, deadline=None)
@given(st.lists(one_submission, max_size=25))
def test_one_phone_counts_at_most_once_per_window_and_day(submissions):
    stored = _run(submissions)
    assert len(stored) == len(submissions)  # nothing is dropped
    counted = [r for r in stored if not r.excluded and r.phone and r.in_group]
    keys = [(r.phone, r.window_id, _day(r)) for r in counted]
    assert len(keys) == len(set(keys))


@settings(max_examples=300, deadline=None)
@given(st.lists(one_submission, max_size=25))
def test_every_rating_left_out_says_why(submissions):
    for rating in _run(submissions):
        assert rating.excluded == bool(rating.screening)


@settings(max_examples=300, deadline=None)
@given(st.lists(one_submission, max_size=25))
def test_no_rating_of_a_burst_counts(submissions):
    stored = _run(submissions)
    span = timedelta(minutes=LIMITS.burst_minutes)
    for key in ("phone", "device"):
        for first in stored:
            value = getattr(first, key)
            if not value:
                continue
            members = [
                r for r in stored if getattr(r, key) == value and first.rated_at <= r.rated_at <= first.rated_at + span
            ]
            if len(members) >= LIMITS.burst_count:
                assert all(r.excluded for r in members)


@settings(max_examples=300, deadline=None)
@given(st.lists(one_submission, max_size=25))
def test_a_device_without_a_phone_counts_at_most_its_daily_limit(submissions):
    counted = [r for r in _run(submissions) if not r.excluded and r.device and not r.phone and r.in_group]
    keys = [(r.device, r.window_id, _day(r)) for r in counted]
    assert all(keys.count(k) <= LIMITS.device_daily_limit for k in keys)


@settings(max_examples=200, deadline=None)
@given(st.lists(one_submission, max_size=25))
def test_a_staff_phone_never_counts(submissions):
    assert all(r.excluded for r in _run(submissions, staff_phones={"p1"}) if r.phone == "p1")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(min_value=0, max_value=600)), min_size=1, max_size=12),
)
def test_in_time_order_without_bursts_the_latest_rating_of_the_day_counts(ratings):
    """Ratings an hour or more apart (no burst), in time order: per window, exactly the last one counts."""
    ratings = sorted(ratings, key=lambda r: r[1])
    submissions = [("p1", "", window, 60 * i + minute % 60, True) for i, (window, minute) in enumerate(ratings)]
    stored = _run(submissions, limits=Limits(device_daily_limit=1, burst_count=99, burst_minutes=1))
    for window in (1, 2):
        for day in {_day(r) for r in stored}:
            of_group = [r for r in stored if r.window_id == window and _day(r) == day]
            if of_group:
                assert [r for r in of_group if not r.excluded] == [max(of_group, key=lambda r: r.rated_at)]


def test_a_late_arrival_with_an_earlier_time_is_the_one_superseded():
    stored = _run([("p1", "", 1, 600, True), ("p1", "", 1, 60, True)])
    assert [r.screening for r in stored] == ["", Screening.SUPERSEDED]


def test_ratings_of_a_case_are_outside_the_window_rule():
    stored = _run([("p1", "", 1, 0, False), ("p1", "", 1, 60, False)])
    assert not any(r.excluded for r in stored)


# --- through the service, whatever the path --------------------------------------------------------------------


def _rate(centre, channel, window, *, phone="", device="", minutes=0, level=5, **kwargs) -> Evaluation:
    return services.evaluation_submit(
        centre=centre,
        channel=channel,
        level=level,
        window=window,
        evaluator_phone=phone,
        device=device,
        rated_at=START + timedelta(minutes=minutes),
        **kwargs,
    )


@pytest.mark.django_db
def test_five_ratings_of_one_phone_in_a_minute_are_kept_and_none_counts(centre, window, qr_channel):
    rows = [_rate(centre, qr_channel, window, phone="13900001111", minutes=0) for _ in range(5)]
    assert Evaluation.objects.count() == 5
    assert not Evaluation.objects.filter(excluded=False).exists()
    assert Evaluation.objects.get(id=rows[-1].id).screening == Screening.BURST


@pytest.mark.django_db
def test_a_second_rating_the_same_day_replaces_the_first(centre, window, qr_channel):
    first = _rate(centre, qr_channel, window, phone="139 0000 1111", level=1, minutes=0)
    second = _rate(centre, qr_channel, window, phone="+86 13900001111", level=5, minutes=120)
    first.refresh_from_db()
    assert (first.excluded, first.screening, first.superseded_by) == (True, Screening.SUPERSEDED, second)
    assert not second.excluded
    assert one_rating.outcome_of(second) == "replaced"
    assert first.events.filter(action="superseded").exists()  # the change is in its history
    # The next day counts again.
    third = _rate(centre, qr_channel, window, phone="13900001111", minutes=24 * 60)
    assert not third.excluded
    second.refresh_from_db()
    assert not second.excluded


@pytest.mark.django_db
def test_another_window_the_same_day_counts_too(centre, window, qr_channel):
    other = WindowFactory(centre=centre, code="B02")
    _rate(centre, qr_channel, window, phone="13900001111", minutes=0)
    _rate(centre, qr_channel, other, phone="13900001111", minutes=60)
    assert Evaluation.objects.filter(excluded=False).count() == 2


@pytest.mark.django_db
def test_the_channel_api_path_obeys_the_same_rule(centre, window):
    device_channel = channel_for(centre, Channel.Kind.WINDOW_DEVICE)
    hotline = channel_for(centre, Channel.Kind.HOTLINE)
    _rate(centre, device_channel, window, phone="13900001111", minutes=0, external_id="a")
    _rate(centre, hotline, window, phone="13900001111", minutes=90, external_id="b")
    assert list(Evaluation.objects.filter(excluded=False).values_list("external_id", flat=True)) == ["b"]


@pytest.mark.django_db
def test_a_staff_members_phone_is_flagged_whoever_is_rated(centre, window, qr_channel, window_staff):
    colleague = UserFactory(centre=centre, username="colleague", mobile="13811112222")
    evaluation = _rate(centre, qr_channel, window, phone="138-1111-2222", staff=window_staff)
    assert (evaluation.excluded, evaluation.screening) == (True, Screening.STAFF_PHONE)
    assert colleague.mobile  # the colleague is not the rated person


@pytest.mark.django_db
def test_a_device_without_a_phone_is_limited_per_window_and_day(centre, window, qr_channel):
    OneRatingPolicy.objects.create(centre=centre, device_daily_limit=2, burst_count=10, burst_minutes=5)
    rows = [_rate(centre, qr_channel, window, device="cookie1", minutes=60 * i) for i in range(3)]
    assert [r.screening for r in rows] == ["", "", Screening.DEVICE_LIMIT]
    assert one_rating.outcome_of(rows[-1]) == "device_limit"
    assert not _rate(centre, qr_channel, window, device="cookie2", minutes=200).excluded


@pytest.mark.django_db
def test_staff_checks_are_outside_the_rule(centre, window):
    cross_check = channel_for(centre, Channel.Kind.CROSS_CHECK)
    for i in range(4):
        _rate(centre, cross_check, window, phone="13900001111", minutes=i)
    assert Evaluation.objects.filter(excluded=False).count() == 4


@pytest.mark.django_db
def test_the_scoring_selector_counts_only_counted_ratings(centre, window, qr_channel, window_staff):
    for level, minutes in ((1, 0), (2, 30), (5, 90)):
        _rate(centre, qr_channel, window, phone="13900001111", minutes=minutes, level=level, staff=window_staff)
    rows = evaluation_counts_by_staff(
        centre_id=centre.id,
        start=START - timedelta(days=1),
        end=START + timedelta(days=1),
        level_thresholds=[4],
        exclude_ids=set(),
    )
    assert [(r["staff_id"], r["n"], r["ge4"]) for r in rows] == [(window_staff.id, 1, 1)]


@pytest.mark.django_db
def test_a_burst_bad_rating_opens_no_bad_review(centre, window, qr_channel):
    for _ in range(3):
        evaluation = _rate(centre, qr_channel, window, phone="13900001111", level=1)
    evaluation.refresh_from_db()
    assert evaluation.screening == Screening.BURST
    assert not hasattr(evaluation, "bad_review")


@pytest.mark.django_db
def test_the_report_shows_submitted_against_counted(client, centre, window, qr_channel, leader):
    from tests.conftest import login

    _rate(centre, qr_channel, window, phone="13900001111", minutes=0)
    _rate(centre, qr_channel, window, phone="13900001111", minutes=60)
    login(client, leader)
    response = client.get(reverse("complaints:report"))
    assert response.status_code == 200
    summary = response.context["counting"]
    assert (summary.submitted, summary.counted) == (2, 1)
    assert dict(summary.not_counted)[str(Screening.SUPERSEDED.label)] == 1


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["13900001111", "13900002222"]), st.integers(0, 2000)), max_size=8))
def test_through_the_database_one_phone_counts_once_per_window_and_day(centre, window, qr_channel, ratings):
    Evaluation.objects.all().delete()
    for phone, minutes in ratings:
        _rate(centre, qr_channel, window, phone=phone, minutes=minutes)
    assert Evaluation.objects.count() == len(ratings)
    counted = [
        (e.evaluator_phone_hash, e.rated_at.astimezone(SHANGHAI).date())
        for e in Evaluation.objects.filter(excluded=False)
    ]
    assert len(counted) == len(set(counted))
