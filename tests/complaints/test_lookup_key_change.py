"""During a change of key every lookup by phone still finds the records hashed under the old key
(issue 14: with FIELD_ENCRYPTION_KEY=new,old the duplicates, the self-rating exclusion and the
once-per-phone invitation found nothing, while the values still decrypted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Channel, Evaluation, EvaluationInvitation
from complaints.selectors import self_triggered_evaluation_ids
from tests.factories.complaints import channel_for, completed_case, matter_type_for

pytestmark = pytest.mark.django_db


def rotate_encryption_key(settings) -> None:
    """The first step of a key change: a new encryption key in front, the old one kept to decrypt."""
    settings.FIELD_ENCRYPTION_KEY = "enc-new,enc-old"


@pytest.fixture(autouse=True)
def _old_key(settings):
    settings.FIELD_ENCRYPTION_KEY = "enc-old"
    settings.FIELD_LOOKUP_KEY = ""


def test_complaints_by_the_same_phone_are_still_suggested_as_duplicates_after_a_key_change(settings, centre, hotline):
    matter = matter_type_for(centre)
    portal = channel_for(centre, Channel.Kind.PORTAL)
    first = services.complaint_submit(
        centre=centre, channel=hotline, content="窗口推诿", contact_phone="13900002222", matter_type=matter
    )
    second = services.complaint_submit(
        centre=centre, channel=portal, content="窗口推诿", contact_phone="13900002222", matter_type=matter
    )
    rotate_encryption_key(settings)
    first.refresh_from_db()
    assert services.complaint_duplicates(first) == [second]
    # A complaint taken after the change (hashed under the new key) finds the old ones, in any spelling.
    third = services.complaint_submit(
        centre=centre, channel=portal, content="窗口推诿", contact_phone="139 0000 2222", matter_type=matter
    )
    assert set(services.complaint_duplicates(third)) == {first, second}


def test_ratings_on_a_staff_members_own_application_stay_self_triggered_after_a_key_change(
    settings, centre, qr_channel, window_staff
):
    window_staff.mobile = "13900001111"
    window_staff.save()
    own_case = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    now = timezone.now()
    own = Evaluation.objects.create(
        centre=centre, channel=qr_channel, staff=window_staff, case=own_case, level=1, rated_at=now
    )
    rotate_encryption_key(settings)
    window_staff.refresh_from_db()
    ids = self_triggered_evaluation_ids(
        staff=[window_staff], start=now - timedelta(days=1), end=now + timedelta(days=1)
    )
    assert ids == {own.id}


def test_a_rating_from_the_staff_members_phone_is_excluded_when_only_the_case_is_hashed_under_the_old_key(
    settings, centre, qr_channel, window_staff
):
    window_staff.mobile = "13900001111"
    window_staff.save()
    own_case = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    rotate_encryption_key(settings)
    evaluation = services.evaluation_submit(
        centre=centre, channel=qr_channel, staff=window_staff, case=own_case, level=5
    )
    assert evaluation.excluded


def test_one_invitation_per_phone_holds_across_a_key_change(
    settings, centre, window_staff, django_capture_on_commit_callbacks
):
    first = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    second = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.evaluation_invite(case=first) is not None
    rotate_encryption_key(settings)
    second.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.evaluation_invite(case=second) is None
    assert EvaluationInvitation.objects.count() == 1
