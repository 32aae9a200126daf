"""The citizen's side of a complaint: contact or anonymous, the status page, "not solved" once, the rating."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import connection
from django.urls import reverse

from complaints import services
from complaints.models import ActorKind, Complaint, ComplaintEvent
from complaints.public_status import FAILED_LIMIT
from complaints.services.citizen import (
    complaint_citizen_rate,
    complaint_citizen_reopen,
    complaint_submit_by_citizen,
)
from govservice.exceptions import Conflict, InvalidTransition, ValidationFailed
from notifications.models import Notice

pytestmark = pytest.mark.django_db

STATUS = "/feedback/status/"


def _rate_url(window) -> str:
    return reverse("complaints:rate-window", args=[window.public_id])


def _complaint(centre, qr_channel, window, **kwargs) -> Complaint:
    values = {"content": "窗口人员态度冷漠", "contact_phone": "13900005678", **kwargs}
    return complaint_submit_by_citizen(centre=centre, channel=qr_channel, window=window, **values)


def _replied(complaint: Complaint, leader, text: str = "已约谈窗口人员并整改。") -> Complaint:
    return services.complaint_reply(complaint_id=complaint.id, reply=text, actor=leader)


def _open_status(client, complaint: Complaint, last4: str = "5678"):
    return client.post(STATUS, {"no": complaint.tracking_no.lower(), "last4": last4})


# --- a complaint needs a contact, or the explicit anonymous choice -----------------------------------------


def test_a_complaint_without_any_contact_is_refused_next_to_the_field_with_the_input_kept(client, window, qr_channel):
    response = client.post(_rate_url(window), {"level": "1", "text": "态度差", "complain": "on"})
    assert response.status_code == 400
    assert "contact_other" in response.context["form"].errors
    assert "态度差" in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_service_refuses_a_complaint_without_contact_whatever_the_form_says(centre, window, qr_channel):
    with pytest.raises(ValidationFailed) as refused:
        _complaint(centre, qr_channel, window, contact_phone="")
    assert refused.value.field == "contact_other"


def test_another_contact_is_enough_and_is_stored_encrypted(centre, window, qr_channel):
    complaint = _complaint(centre, qr_channel, window, contact_phone="", contact_other="wx: citizen01")
    complaint.refresh_from_db()
    assert complaint.contact_other == "wx: citizen01"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_other FROM complaints_complaint WHERE id = %s", [complaint.id])
        assert "citizen01" not in cursor.fetchone()[0]


def test_an_anonymous_complaint_keeps_no_contact_and_the_thanks_page_says_so(client, window, qr_channel):
    response = client.post(
        _rate_url(window),
        {"level": "1", "text": "态度差", "complain": "on", "anonymous": "on", "contact_phone": "13900005678"},
    )
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous and complaint.contact_phone == ""
    page = client.get(response["Location"]).content.decode()
    assert complaint.tracking_no in page
    assert "无法联系您" in page
    assert f"{STATUS}?no={complaint.tracking_no}" in page


def test_the_thanks_page_links_to_the_status_page(client, window, qr_channel):
    response = client.post(
        _rate_url(window), {"level": "1", "text": "态度差", "complain": "on", "contact_phone": "13900005678"}
    )
    page = client.get(response["Location"]).content.decode()
    assert f"{STATUS}?no=" in page
    assert "通过您留下的联系方式" in page


def test_the_thanks_page_tells_the_citizen_their_rating_replaced_the_earlier_one(client, window, qr_channel):
    client.post(_rate_url(window), {"level": "2", "contact_phone": "13900005678"})
    response = client.post(_rate_url(window), {"level": "5", "contact_phone": "13900005678"})
    token = signing.loads(response["Location"].split("t=", 1)[1])
    assert token["o"] == "replaced"
    assert "替换了之前的评价" in client.get(response["Location"]).content.decode()


# --- the look-up ---------------------------------------------------------------------------------------------------


def test_the_status_page_needs_the_last_four_digits_of_the_phone(client, centre, window, qr_channel):
    complaint = _complaint(centre, qr_channel, window)
    assert _open_status(client, complaint, last4="0000").status_code == 404
    assert _open_status(client, complaint, last4="").status_code == 404
    response = _open_status(client, complaint)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_another_browser_cannot_open_the_status_page_by_its_address(client, centre, window, qr_channel):
    from django.test import Client

    complaint = _complaint(centre, qr_channel, window)
    location = _open_status(client, complaint)["Location"]
    assert Client().get(location)["Location"] == STATUS


def test_an_anonymous_complaint_is_looked_up_by_its_number_alone(client, centre, window, qr_channel):
    complaint = _complaint(centre, qr_channel, window, contact_phone="", anonymous=True)
    assert _open_status(client, complaint, last4="").status_code == 302


def test_wrong_digits_lock_the_number_for_a_while(client, centre, window, qr_channel):
    complaint = _complaint(centre, qr_channel, window)
    for _ in range(FAILED_LIMIT):
        _open_status(client, complaint, last4="0000")
    assert _open_status(client, complaint).status_code == 429


def test_look_ups_are_rate_limited_per_address(client, centre, window, qr_channel):
    from rest_framework.throttling import SimpleRateThrottle

    limit, _seconds = SimpleRateThrottle.parse_rate(None, SimpleRateThrottle.THROTTLE_RATES["lookup"])
    for i in range(limit):
        client.post(STATUS, {"no": f"GS{i}", "last4": "1234"})
    response = client.post(STATUS, {"no": "GS-next", "last4": "1234"})
    assert response.status_code == 429
    assert "Retry-After" in response


# --- the page: timeline, answer, "not solved" once, rating -------------------------------------------------------


def test_the_page_shows_the_answer_the_answering_unit_and_the_timeline_without_names(
    client, centre, window, qr_channel, leader
):
    complaint = _replied(_complaint(centre, qr_channel, window), leader)
    page = client.get(_open_status(client, complaint)["Location"]).content.decode()
    assert "已约谈窗口人员并整改。" in page
    assert "中心领导" in page  # the role, not the person
    assert leader.name not in page
    assert "5678" not in page  # no phone on the page
    timeline = page.split('data-testid="status-timeline"', 1)[1]
    assert timeline.index("已受理") < timeline.index("已答复")


def test_not_solved_takes_a_confirmation_then_reopens_to_the_leaders_once(
    client, centre, window, qr_channel, leader, django_capture_on_commit_callbacks
):
    complaint = _replied(_complaint(centre, qr_channel, window), leader)
    url = _open_status(client, complaint)["Location"]
    asked = client.post(url, {"action": "reopen", "reason": "问题依旧"})
    assert asked.status_code == 200 and asked.context["confirm_reopen"]
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REPLIED  # nothing decided before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "reopen", "reason": "问题依旧", "confirmed": "1"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REOPENED
    assert complaint.citizen_reopen_reason == "问题依旧"
    event = complaint.events.get(new_status=Complaint.Status.REOPENED)
    assert (event.actor, event.actor_kind) == (None, ActorKind.CITIZEN)
    assert Notice.objects.filter(recipient=leader, text__contains=complaint.tracking_no).exists()
    # The staff answer again; a second "not solved" is refused with a clear message.
    _replied(complaint, leader, "再次答复")
    page = client.get(url).content.decode()
    assert "您已申请过一次重新办理" in page
    refused = client.post(url, {"action": "reopen", "reason": "还是不行", "confirmed": "1"})
    assert "您已申请过一次重新办理" in refused.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.REPLIED


def test_an_empty_reason_is_refused_next_to_the_field(client, centre, window, qr_channel, leader):
    complaint = _replied(_complaint(centre, qr_channel, window), leader)
    url = _open_status(client, complaint)["Location"]
    response = client.post(url, {"action": "reopen", "reason": "", "confirmed": "1"})
    assert response.status_code == 400
    assert "reason" in response.context["reopen_form"].errors


def test_the_citizen_rates_the_handling_once(client, centre, window, qr_channel, leader):
    complaint = _replied(_complaint(centre, qr_channel, window), leader)
    url = _open_status(client, complaint)["Location"]
    assert client.post(url, {"action": "rate", "level": "4", "note": "满意"}).status_code == 302
    complaint.refresh_from_db()
    assert (complaint.citizen_rating, complaint.citizen_rating_note) == (4, "满意")
    assert complaint.events.filter(actor_kind=ActorKind.CITIZEN, note__contains="满意").exists()
    with pytest.raises(Conflict):
        complaint_citizen_rate(complaint_id=complaint.id, level=1, actor_kind=ActorKind.CITIZEN)


def test_an_anonymous_citizens_steps_are_recorded_as_anonymous(client, centre, window, qr_channel, leader):
    complaint = _replied(_complaint(centre, qr_channel, window, contact_phone="", anonymous=True), leader)
    url = _open_status(client, complaint, last4="")["Location"]
    client.post(url, {"action": "reopen", "reason": "没解决", "confirmed": "1"})
    assert ComplaintEvent.objects.get(complaint=complaint, new_status="reopened").actor_kind == ActorKind.ANONYMOUS


@pytest.mark.parametrize("status", ["received", "assigned"])
def test_nothing_to_reopen_or_rate_before_an_answer(centre, window, qr_channel, leader, status):
    complaint = _complaint(centre, qr_channel, window)
    Complaint.objects.filter(id=complaint.id).update(status=status)
    with pytest.raises(InvalidTransition):
        complaint_citizen_reopen(complaint_id=complaint.id, reason="x", actor_kind=ActorKind.CITIZEN)
    with pytest.raises(ValidationFailed):
        complaint_citizen_rate(complaint_id=complaint.id, level=3, actor_kind=ActorKind.CITIZEN)


def test_no_reopen_after_rating(centre, window, qr_channel, leader):
    complaint = _replied(_complaint(centre, qr_channel, window), leader)
    complaint_citizen_rate(complaint_id=complaint.id, level=2, actor_kind=ActorKind.CITIZEN)
    with pytest.raises(Conflict):
        complaint_citizen_reopen(complaint_id=complaint.id, reason="x", actor_kind=ActorKind.CITIZEN)


def test_staff_see_the_other_contact_masked_and_the_citizens_steps_named(as_user, centre, window, qr_channel, leader):
    complaint = _replied(_complaint(centre, qr_channel, window, contact_phone="", contact_other="wx-citizen01"), leader)
    complaint_citizen_reopen(complaint_id=complaint.id, reason="没解决", actor_kind=ActorKind.ANONYMOUS)
    page = as_user(leader).get(complaint.get_absolute_url()).content.decode()
    assert "wx********" in page and "citizen01" not in page
    assert str(ActorKind.ANONYMOUS.label) in page
