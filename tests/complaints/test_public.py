"""Citizen pages without login: the window QR page, its flood limits, and the personal SMS link."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, Evaluation, EvaluationInvitation
from complaints.public_views import RATE_LIMIT_DEVICE
from notifications.models import SmsMessage
from tests.factories.complaints import completed_case

pytestmark = pytest.mark.django_db


def _url(window) -> str:
    return reverse("complaints:rate-window", args=[window.public_id])


def test_the_qr_page_opens_without_login_and_sets_a_device_cookie(client, window, qr_channel):
    response = client.get(_url(window))
    assert response.status_code == 200
    assert window.name in response.content.decode()
    assert "gs_rate_device" in response.cookies


def test_a_window_without_a_qr_channel_is_not_found(client, window):
    assert client.get(_url(window)).status_code == 404


def test_a_rating_from_the_qr_page_is_recorded_for_the_window(client, window, qr_channel, attitude_tag):
    response = client.post(_url(window), {"level": "2", "tags": ["attitude"], "text": "不耐烦"})
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.window, evaluation.channel, evaluation.level) == (window, qr_channel, 2)
    assert evaluation.tags == ["attitude"]
    assert evaluation.bad_review is not None


def test_a_tag_for_bad_reviews_is_dropped_from_a_good_rating(client, window, qr_channel, attitude_tag):
    client.post(_url(window), {"level": "5", "tags": ["attitude"]})
    assert Evaluation.objects.get().tags == []


def test_a_complaint_can_be_left_with_the_rating(client, window, qr_channel):
    response = client.post(
        _url(window), {"level": "1", "text": "窗口人员态度冷漠", "complain": "on", "contact_phone": "13900005678"}
    )
    complaint = Complaint.objects.get()
    assert complaint.evaluation == Evaluation.objects.get()
    thanks = client.get(response["Location"])
    assert complaint.tracking_no in thanks.content.decode()


def test_one_device_is_limited_then_refused_with_429(client, window, qr_channel):
    for _ in range(RATE_LIMIT_DEVICE):
        assert client.post(_url(window), {"level": "5"}).status_code == 302
    response = client.post(_url(window), {"level": "5"})
    assert response.status_code == 429
    assert response["Retry-After"]
    assert Evaluation.objects.count() == RATE_LIMIT_DEVICE


def test_a_new_device_cookie_does_not_escape_the_ip_limit(window, qr_channel, settings, monkeypatch):
    import complaints.public_views as public_views

    monkeypatch.setattr(public_views, "RATE_LIMIT_IP", 3)
    statuses = [Client().post(_url(window), {"level": "5"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_the_sms_link_rates_its_case_once(client, centre, window_staff, sms_channel):
    case = completed_case(centre=centre, handler=window_staff)
    invitation = services.evaluation_invite(case=case)
    url = reverse("complaints:rate-invitation", args=[invitation.token])
    assert client.get(url).status_code == 200
    assert client.post(url, {"level": "4"}).status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.case, evaluation.staff, evaluation.is_real_name) == (case, window_staff, True)
    assert "已评价" in client.get(url).content.decode()
    client.post(url, {"level": "1"})
    assert Evaluation.objects.count() == 1


def test_one_invitation_per_phone_in_the_period(centre, window_staff, django_capture_on_commit_callbacks):
    first = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    second = completed_case(centre=centre, handler=window_staff, phone="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.evaluation_invite(case=first) is not None
        assert services.evaluation_invite(case=first) == EvaluationInvitation.objects.get()
        assert services.evaluation_invite(case=second) is None
    assert SmsMessage.objects.filter(key__startswith="evaluation-invite:").count() == 1


def test_the_same_link_offers_one_follow_up_after_rectification(client, centre, window_staff, sms_channel, leader):
    case = completed_case(centre=centre, handler=window_staff)
    invitation = services.evaluation_invite(case=case)
    url = reverse("complaints:rate-invitation", args=[invitation.token])
    client.post(url, {"level": "1", "text": "态度差"})
    bad_review = Evaluation.objects.get().bad_review
    assert "已评价" in client.get(url).content.decode()  # nothing to follow up yet
    services.bad_review_contact(bad_review_id=bad_review.id, actor=leader)
    services.bad_review_verify(bad_review_id=bad_review.id, verdict="true", actor=leader)
    services.bad_review_rectify(bad_review_id=bad_review.id, rectification="培训", actor=leader)
    assert 'data-testid="follow-up-intro"' in client.get(url).content.decode()
    assert client.post(url, {"level": "4", "text": "改进了"}).status_code == 302
    follow_up = Evaluation.objects.get(follow_up_of__isnull=False)
    assert (follow_up.level, follow_up.follow_up_of.bad_review) == (4, bad_review)
    assert "已评价" in client.get(url).content.decode()


def test_the_hourly_sweep_invites_each_completed_case_once(centre, window_staff, django_capture_on_commit_callbacks):
    from complaints.tasks import evaluation_invite_completed_task

    completed_case(centre=centre, handler=window_staff, phone="13900003333")
    completed_case(centre=centre, handler=window_staff, phone="13900004444")
    with django_capture_on_commit_callbacks(execute=True):
        assert evaluation_invite_completed_task() == 2
        assert evaluation_invite_completed_task() == 0
    assert SmsMessage.objects.filter(key__startswith="evaluation-invite:").count() == 2
