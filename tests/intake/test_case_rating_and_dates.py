"""A case is rated through the API only with its invitation code or by the device that served it; channels
date their records only within a window (no future, not too old, not in a locked month)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint, Evaluation, EvaluationInvitation
from complaints.services import evaluation_invite
from tests.factories.intake import issued_key, window_device_channel
from tests.intake.conftest import ChannelClient

pytestmark = pytest.mark.django_db

EVALUATIONS = "/api/v1/intake/evaluations/"
COMPLAINTS = "/api/v1/intake/complaints/"


@pytest.fixture
def case(centre, window_staff, real_urls):  # the project's URLs: an invitation names its public rating page
    from tests.factories.complaints import completed_case

    return completed_case(centre=centre, handler=window_staff)


def test_any_channel_key_cannot_take_the_one_rating_of_a_case_by_its_tracking_number(api, case):
    response = api.post(EVALUATIONS, {"level": 1, "case": case.tracking_no})
    assert response.status_code == 400
    assert "invitation" in response.json()["errors"]
    assert not Evaluation.objects.filter(case=case).exists()
    # An unknown number gets the same answer: it tells nothing about which numbers exist.
    unknown = api.post(EVALUATIONS, {"level": 1, "case": "GSCASE999999"})
    assert unknown.json()["errors"] == response.json()["errors"]


def test_with_the_cases_invitation_code_the_channel_may_rate_it_once(api, case):
    invitation = evaluation_invite(case=case)
    assert invitation is not None
    wrong = api.post(EVALUATIONS, {"level": 5, "case": case.tracking_no, "invitation": "not-the-code"})
    assert wrong.status_code == 400 and "invitation" in wrong.json()["errors"]
    ok = api.post(EVALUATIONS, {"level": 5, "case": case.tracking_no, "invitation": invitation.token})
    assert ok.status_code == 201
    assert Evaluation.objects.get(case=case).level == 5
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    again = api.post(EVALUATIONS, {"level": 1, "case": case.tracking_no, "invitation": invitation.token})
    assert again.status_code == 409
    assert Evaluation.objects.get(case=case).level == 5


def test_an_expired_invitation_code_is_refused(api, case):
    invitation = evaluation_invite(case=case)
    assert invitation is not None
    EvaluationInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = api.post(EVALUATIONS, {"level": 5, "case": case.tracking_no, "invitation": invitation.token})
    assert response.status_code == 400 and "invitation" in response.json()["errors"]


def test_another_cases_invitation_code_does_not_open_this_case(api, centre, window_staff, case):
    from tests.factories.complaints import completed_case

    other = completed_case(centre=centre, handler=window_staff, phone="13900005678")
    invitation = evaluation_invite(case=other)
    assert invitation is not None
    response = api.post(EVALUATIONS, {"level": 1, "case": case.tracking_no, "invitation": invitation.token})
    assert response.status_code == 400
    assert not Evaluation.objects.filter(case=case).exists()


def test_the_rating_device_that_served_the_case_rates_it_without_a_code(centre, case):
    device = ChannelClient(issued_key(window_device_channel(centre)))
    assert device.post(EVALUATIONS, {"level": 4, "case": case.tracking_no}).status_code == 201


# --- dates a channel gives its records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    ["0001-01-01T00:00:00+08:00", "2099-01-01T00:00:00+08:00"],
)
@pytest.mark.parametrize(
    "url, field, body", [(EVALUATIONS, "rated_at", {"level": 4}), (COMPLAINTS, "received_at", {"content": "排队太久"})]
)
def test_a_date_far_in_the_past_or_the_future_is_a_field_error(api, url, field, body, when):
    response = api.post(url, {**body, field: when})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Evaluation.objects.exists() and not Complaint.objects.exists()


def test_a_small_clock_skew_and_a_recent_date_are_accepted(api, settings):
    settings.INTAKE_CLOCK_SKEW_SECONDS = 300
    ahead = (timezone.now() + timedelta(seconds=60)).isoformat()
    assert api.post(EVALUATIONS, {"level": 5, "rated_at": ahead}).status_code == 201
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert api.post(COMPLAINTS, {"content": "排队太久", "received_at": week_ago}).status_code == 201


def test_the_age_limit_is_a_setting(api, settings):
    settings.INTAKE_MAX_BACKDATE_DAYS = 3
    five_days_ago = (timezone.now() - timedelta(days=5)).isoformat()
    response = api.post(EVALUATIONS, {"level": 5, "rated_at": five_days_ago})
    assert response.status_code == 400 and "rated_at" in response.json()["errors"]


def test_a_month_whose_scores_are_locked_takes_no_back_dated_record_unless_the_channel_may(api, channel, centre):
    from development.models import ScoringRun

    when = timezone.localtime() - timedelta(days=10)
    ScoringRun.objects.create(centre=centre, month=when.date().replace(day=1), status=ScoringRun.Status.LOCKED)
    for url, field, body in [(EVALUATIONS, "rated_at", {"level": 5}), (COMPLAINTS, "received_at", {"content": "慢"})]:
        response = api.post(url, {**body, field: when.isoformat()})
        assert response.status_code == 400
        assert "locked" in response.json()["errors"][field][0]
    assert not Evaluation.objects.exists() and not Complaint.objects.exists()
    channel.may_date_into_locked_months = True
    channel.save()
    assert api.post(EVALUATIONS, {"level": 5, "rated_at": when.isoformat()}).status_code == 201


def test_a_month_locked_for_another_centre_does_not_count(api, centre, other_centre):
    from development.models import ScoringRun

    when = timezone.localtime() - timedelta(days=10)
    ScoringRun.objects.create(centre=other_centre, month=when.date().replace(day=1), status=ScoringRun.Status.LOCKED)
    assert api.post(EVALUATIONS, {"level": 5, "rated_at": when.isoformat()}).status_code == 201
