"""One definition each: the reply deadline, overdue, on time, and the self-triggered rating."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from complaints import services
from complaints.deadlines import bad_review_rectify_overdue, complaint_reply_due
from complaints.models import BadReview, Evaluation
from complaints.selectors import self_triggered_evaluation_ids
from complaints.tasks import feedback_warn_overdue_task
from tests.factories.complaints import ComplaintFactory, completed_case

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def test_a_complaint_is_due_five_working_days_later_at_the_end_of_the_day(centre, hotline):
    # Friday 2026-03-06: five working days later is Friday 2026-03-13 (no holiday in between).
    complaint = ComplaintFactory(centre=centre, channel=hotline, received_at=datetime(2026, 3, 6, 10, 0, tzinfo=TZ))
    due = complaint_reply_due(complaint)
    assert timezone.localtime(due.at) == datetime(2026, 3, 13, 17, 30, tzinfo=TZ)
    assert due.provisional is False


def test_only_a_bad_review_still_to_rectify_is_rectify_overdue(
    client, centre, qr_channel, window_staff, centre_admin, leader
):
    yesterday = timezone.localdate() - timedelta(days=1)
    reviews = [
        services.evaluation_submit(centre=centre, channel=qr_channel, level=1, staff=window_staff).bad_review
        for _ in range(4)
    ]
    for bad_review, status in zip(
        reviews,
        [BadReview.Status.RECTIFYING, BadReview.Status.RECTIFIED, BadReview.Status.APPEALED, BadReview.Status.CLOSED],
        strict=True,
    ):
        BadReview.objects.filter(id=bad_review.id).update(status=status, rectify_due=yesterday)
    late = set(BadReview.objects.filter(bad_review_rectify_overdue(timezone.localdate())).values_list("id", flat=True))
    assert late == {reviews[0].id}
    # The overview figure, the list it opens and the warning task agree.
    client.force_login(leader)
    assert client.get("/feedback/").context["overdue_bad_reviews"] == 1
    assert client.get("/feedback/bad-reviews/?state=overdue").context["page"].paginator.count == 1
    BadReview.objects.update(contact_warned_at=timezone.now())  # leave the contact step out of the count
    assert feedback_warn_overdue_task() == 2  # the owner and the leader, for the one review


def test_a_rating_on_the_staff_members_own_application_is_self_triggered(centre, qr_channel, window_staff):
    window_staff.mobile = "13900001111"
    window_staff.save()
    own_case = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    evaluation = services.evaluation_submit(centre=centre, channel=qr_channel, level=1, case=own_case)
    assert evaluation.excluded
    assert not BadReview.objects.exists()


def test_the_scoring_read_finds_self_triggered_ratings_stored_without_the_check(centre, qr_channel, window_staff):
    window_staff.mobile = "13900001111"
    window_staff.save()
    own_case = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    other_case = completed_case(centre=centre, handler=window_staff, phone="13900002222")
    now = timezone.now()
    # Stored directly, as an import or a phone recorded later would leave them: not excluded.
    own = Evaluation.objects.create(
        centre=centre, channel=qr_channel, staff=window_staff, case=own_case, level=1, rated_at=now
    )
    Evaluation.objects.create(
        centre=centre, channel=qr_channel, staff=window_staff, case=other_case, level=1, rated_at=now
    )
    ids = self_triggered_evaluation_ids(
        staff=[window_staff], start=now - timedelta(days=1), end=now + timedelta(days=1)
    )
    assert ids == {own.id}
