from __future__ import annotations

import pytest

from complaints import services, signals
from complaints.models import BadReview, Channel, Complaint, Evaluation
from govservice.exceptions import Conflict, ValidationFailed
from tests.factories.complaints import channel_for
from tests.factories.staff import WindowFactory

pytestmark = pytest.mark.django_db


def test_an_evaluation_of_another_centres_staff_is_rejected(centre, foreign_staff):
    channel = channel_for(centre)
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_submit(centre=centre, channel=channel, level=5, staff=foreign_staff)
    assert caught.value.field == "staff"
    assert not Evaluation.objects.exists()


def test_an_evaluation_of_another_centres_window_is_rejected(centre, other_centre):
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_submit(
            centre=centre, channel=channel_for(centre), level=4, window=WindowFactory(centre=other_centre)
        )
    assert caught.value.field == "window"


def test_a_channel_that_does_not_serve_the_centre_is_rejected(centre, other_centre, window):
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_submit(centre=centre, channel=channel_for(other_centre), level=5, window=window)
    assert caught.value.field == "channel"


def test_a_resent_record_returns_the_first_one(centre, window):
    channel = channel_for(centre, Channel.Kind.MOBILE_APP)
    first = services.evaluation_submit(centre=centre, channel=channel, level=5, window=window, external_id="A-1")
    again = services.evaluation_submit(centre=centre, channel=channel, level=1, window=window, external_id="A-1")
    assert again.id == first.id
    assert Evaluation.objects.count() == 1
    c1 = services.complaint_submit(centre=centre, channel=channel, content="排队太久", external_id="C-1")
    c2 = services.complaint_submit(centre=centre, channel=channel, content="排队太久", external_id="C-1")
    assert c1.id == c2.id and Complaint.objects.count() == 1


def test_a_bad_level_is_a_validation_error(centre):
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_submit(centre=centre, channel=channel_for(centre), level=6)
    assert caught.value.field == "level"


def test_a_bad_review_opens_a_handling_flow(centre, window_staff):
    evaluation = services.evaluation_submit(centre=centre, channel=channel_for(centre), level=2, staff=window_staff)
    assert evaluation.window_id == window_staff.window_id
    assert evaluation.bad_review.status == BadReview.Status.OPEN


def test_a_good_review_opens_nothing(centre, window_staff):
    services.evaluation_submit(centre=centre, channel=channel_for(centre), level=3, staff=window_staff)
    assert not BadReview.objects.exists()


def test_a_complaint_for_another_centres_matter_is_rejected(centre, other_centre):
    with pytest.raises(ValidationFailed) as caught:
        services.complaint_submit(
            centre=centre,
            channel=channel_for(centre, Channel.Kind.HOTLINE),
            content="x",
            window=WindowFactory(centre=other_centre),
        )
    assert caught.value.field == "window"


def test_the_change_signal_is_sent_after_commit(centre, window, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append((sender, instance))

    signals.record_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            complaint = services.complaint_submit(
                centre=centre, channel=channel_for(centre, Channel.Kind.HOTLINE), content="态度差"
            )
        assert seen == []  # nothing is told before the commit
        for callback in callbacks:
            callback()
    finally:
        signals.record_changed.disconnect(receiver)
    assert seen == [(Complaint, complaint)]


def test_a_case_is_rated_once(centre, window_staff):
    from tests.factories.complaints import completed_case

    case = completed_case(centre=centre, handler=window_staff)
    services.evaluation_submit(centre=centre, channel=channel_for(centre), level=5, case=case)
    with pytest.raises(Conflict):
        services.evaluation_submit(centre=centre, channel=channel_for(centre), level=1, case=case)


def test_a_rating_the_handler_triggers_on_their_own_case_is_excluded(centre, window_staff):
    from tests.factories.complaints import completed_case

    case = completed_case(centre=centre, handler=window_staff)
    evaluation = services.evaluation_submit(
        centre=centre, channel=channel_for(centre), level=1, case=case, actor=window_staff
    )
    assert evaluation.excluded
    assert not BadReview.objects.exists()
