"""Staff screens: scoping (another centre's record is a 404), duplicates and merge, the classify action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Channel, Complaint, ComplaintEvent
from govservice.exceptions import ValidationFailed
from tests.factories.complaints import ComplaintFactory, channel_for, matter_type_for

pytestmark = pytest.mark.django_db


def _complaint(centre, channel, **kwargs) -> Complaint:
    return services.complaint_submit(centre=centre, channel=channel, content="窗口人员态度不耐烦，推诿", **kwargs)


def test_another_centres_complaint_is_a_404(as_user, leader, other_centre):
    foreign = _complaint(other_centre, channel_for(other_centre, Channel.Kind.HOTLINE))
    client = as_user(leader)
    assert client.get(foreign.get_absolute_url()).status_code == 404
    url = reverse("complaints:complaint-action", args=[foreign.public_id, "classify"])
    assert client.post(url, {"category": "attitude"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.category == ""


def test_another_centres_bad_review_is_a_404(as_user, leader, other_centre):
    evaluation = services.evaluation_submit(centre=other_centre, channel=channel_for(other_centre), level=1)
    client = as_user(leader)
    assert client.get(reverse("complaints:bad-review-detail", args=[evaluation.bad_review.id])).status_code == 404


def test_window_staff_see_only_complaints_about_them(as_user, centre, hotline, window_staff, other_window_staff):
    mine = _complaint(centre, hotline, staff=window_staff)
    theirs = _complaint(centre, hotline, staff=other_window_staff)
    client = as_user(window_staff)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404


def test_the_list_filters_and_masks_the_phone(as_user, centre, hotline, leader, django_assert_max_num_queries):
    for _ in range(5):
        _complaint(centre, hotline, contact_phone="13912345678")
    client = as_user(leader)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("complaints:complaint-list"), {"category": "none"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "139****5678" in body and "13912345678" not in body
    assert (
        client.get(reverse("complaints:complaint-list"), {"category": "attitude"}).context["page"].paginator.count == 0
    )


def test_the_classify_action_shows_a_suggestion_and_saves_the_humans_choice(as_user, centre, hotline, leader):
    complaint = _complaint(centre, hotline)
    client = as_user(leader)
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert "服务态度" in page and 'data-testid="category-suggestion"' in page
    response = client.post(
        reverse("complaints:complaint-action", args=[complaint.public_id, "classify"]), {"category": "efficiency"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.category == "efficiency"


def test_reply_callback_not_satisfied_reopens(centre, hotline, leader):
    complaint = _complaint(centre, hotline)
    services.complaint_reply(complaint_id=complaint.id, reply="已批评教育", actor=leader)
    complaint = services.complaint_callback(complaint_id=complaint.id, satisfied=False, note="仍不满意", actor=leader)
    assert complaint.status == Complaint.Status.REOPENED
    services.complaint_reply(complaint_id=complaint.id, reply="调换窗口人员", actor=leader)
    complaint = services.complaint_callback(complaint_id=complaint.id, satisfied=True, note="满意", actor=leader)
    assert complaint.status == Complaint.Status.CLOSED
    statuses = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("new_status", flat=True))
    assert statuses == ["received", "replied", "reopened", "replied", "closed"]


def test_the_same_matter_by_phone_and_matter_type_is_a_suggested_duplicate_and_merges(centre, hotline, leader):
    matter = matter_type_for(centre)
    portal = channel_for(centre, Channel.Kind.PORTAL)
    first = _complaint(centre, hotline, contact_phone="13900002222", matter_type=matter)
    second = _complaint(centre, portal, contact_phone="13900002222", matter_type=matter)
    other_matter = _complaint(centre, portal, contact_phone="13900002222", matter_type=matter_type_for(centre))
    long_ago = _complaint(
        centre,
        portal,
        contact_phone="13900002222",
        matter_type=matter,
        received_at=timezone.now() - timedelta(days=30),
    )
    assert services.complaint_duplicates(first) == [second]
    services.complaint_merge(primary_id=first.id, duplicate_id=second.id, actor=leader)
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Complaint.Status.MERGED, first)
    assert list(first.merged_sources.values_list("channel__kind", flat=True)) == [Channel.Kind.PORTAL]
    assert services.complaint_duplicates(first) == []
    with pytest.raises(ValidationFailed):
        services.complaint_merge(primary_id=first.id, duplicate_id=first.id, actor=leader)
    assert other_matter.status == long_ago.status == Complaint.Status.RECEIVED


def test_the_report_shows_all_five_levels(as_user, centre, qr_channel, leader, window):
    for level in (5, 5, 4, 3, 2, 1):
        services.evaluation_submit(centre=centre, channel=qr_channel, level=level, window=window)
    response = as_user(leader).get(reverse("complaints:report"), {"by": "window"})
    [row] = response.context["rows"]
    assert row.counts == {5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
    assert row.very_satisfied_rate == 33.3


def test_the_qr_code_is_an_svg_for_a_window_in_scope(as_user, centre_admin, window, other_centre):
    from tests.factories.staff import WindowFactory

    client = as_user(centre_admin)
    response = client.get(reverse("complaints:window-qr-svg", args=[window.pk]))
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    foreign = WindowFactory(centre=other_centre)
    assert client.get(reverse("complaints:window-qr-svg", args=[foreign.pk])).status_code == 404


@pytest.mark.parametrize(
    "name",
    ["overview", "complaint-list", "evaluation-list", "bad-review-list", "escalation-list", "report", "duty-rota"],
)
def test_staff_screens_render(as_user, leader, name, centre, qr_channel):
    ComplaintFactory(centre=centre)
    assert as_user(leader).get(reverse(f"complaints:{name}")).status_code == 200


def test_the_bad_review_screens_walk_the_flow(as_user, centre, qr_channel, window_staff, centre_admin, leader):
    evaluation = services.evaluation_submit(centre=centre, channel=qr_channel, level=2, staff=window_staff)
    bad_review = evaluation.bad_review
    client = as_user(centre_admin)

    def act(action, data):
        url = reverse("complaints:bad-review-action", args=[bad_review.id, action])
        assert client.post(url, data).status_code == 302
        bad_review.refresh_from_db()
        return bad_review.status

    assert act("contact", {"note": "已电话联系"}) == "contacted"
    assert act("verify", {"verdict": "untrue", "note": "经查监控，工作人员已按规定解释"}) == "rectified"
    assert act("callback", {"satisfied": "1", "note": "理解"}) == "closed"
    assert act("reassign", {"owner": leader.id}) == "closed"
    page = client.get(reverse("complaints:bad-review-detail", args=[bad_review.id])).content.decode()
    assert "已回访" in page and "核实：不属实" in page


def test_another_centres_window_is_not_offered_as_a_filter(as_user, leader, window, other_centre):
    from tests.factories.staff import WindowFactory

    foreign = WindowFactory(centre=other_centre, name="外中心窗口")
    body = as_user(leader).get(reverse("complaints:evaluation-list")).content.decode()
    assert window.name in body and foreign.name not in body
    response = as_user(leader).get(reverse("complaints:evaluation-list"), {"window": foreign.pk})
    assert response.context["page"].paginator.count == 0


def test_the_appeal_decision_form_shows_exactly_to_who_may_decide(
    as_user, centre, qr_channel, window_staff, centre_admin, leader
):
    bad_review = services.evaluation_submit(centre=centre, channel=qr_channel, level=1, staff=window_staff).bad_review
    services.bad_review_contact(bad_review_id=bad_review.id, actor=centre_admin)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="mistaken", note="误点", actor=centre_admin)
    url = reverse("complaints:bad-review-detail", args=[bad_review.id])
    appeal = reverse("complaints:bad-review-action", args=[bad_review.id, "appeal"])
    assert appeal in as_user(leader).get(url).content.decode()
    # The administrator handles the review but the decision is a leader's (bad_review_decide_appeal refuses it).
    assert appeal not in as_user(centre_admin).get(url).content.decode()


def test_the_special_report_is_edited_and_saved_on_its_own_screen(as_user, centre, leader):
    from complaints import escalations as esc

    escalation = esc.escalation_register(centre=centre, content="跨部门事项", actor=leader, kind="complex")
    client = as_user(leader)
    url = reverse("complaints:escalation-report", args=[escalation.public_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"report": "一、基本情况"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.report == "一、基本情况"
