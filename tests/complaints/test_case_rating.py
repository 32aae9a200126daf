"""Issue 16: the page behind the completion SMS's rating link (一事一评): one rating per case, for the member of
staff who handled it, recorded from the SMS-link channel; a used link says so, an expired one too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services as case_services
from cases.models import Case, RatingLink
from complaints import services
from complaints.case_rating import case_rating_submit
from complaints.models import Channel, Evaluation, EvaluationInvitation
from govservice.exceptions import Conflict
from notifications.models import SmsMessage
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials
from tests.factories.complaints import channel_for

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
COMPLETED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _a_day_after_completion():
    """The tests run the day after the case was completed, whatever today's date: the link lives 7 days, and a
    test that read the real clock began failing on 8 December 2026 (a test tied to the date it was written)."""
    with time_machine.travel(COMPLETED_AT + timedelta(days=1), tick=False):
        yield


@pytest.fixture
def completed(window_staff) -> Case:
    """A case completed through the services, as the window does it: the completion SMS carries the link."""
    matter = matter_with_materials(window_staff.centre, code="RATE01")
    with time_machine.travel(COMPLETED_AT, tick=False):
        case = case_services.case_create(
            actor=window_staff,
            matter_type_id=matter.id,
            provided_material_ids=[m.id for m in matter.materials.all()],
            applicant_kind=Case.ApplicantKind.PERSON,
            applicant_name="王小明",
            applicant_phone=PHONE,
            applicant_id_number=VALID_RIC,
        )
        case_services.case_accept(case_id=case.id, actor=window_staff)
        case_services.case_transition(case_id=case.id, to=Case.Status.IN_PROCESS, actor=window_staff)
        return case_services.case_transition(
            case_id=case.id, to=Case.Status.COMPLETED, actor=window_staff, note="已发证"
        )


def _url(case: Case) -> str:
    url = SmsMessage.objects.get(key=f"case:{case.id}:completed").params["url"]
    return url.removeprefix("http://127.0.0.1:8000")


def _token(case: Case) -> str:
    return _url(case).rstrip("/").rsplit("/", 1)[1]


def test_the_link_rates_its_case_once_for_its_handler_from_the_sms_link_channel(client, completed, window_staff):
    url = _url(completed)
    page = client.get(url)
    assert page.status_code == 200 and completed.tracking_no in page.content.decode()
    assert client.post(url, {"level": "4"}).status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.case, evaluation.staff, evaluation.window) == (completed, window_staff, window_staff.window)
    assert evaluation.channel.kind == Channel.Kind.SMS_LINK  # statistics tell 一事一评 ratings apart
    assert evaluation.level == 4 and evaluation.is_real_name
    assert RatingLink.objects.get().used_at is not None


def test_a_second_use_says_plainly_that_the_link_was_used(client, completed):
    url = _url(completed)
    client.post(url, {"level": "5"})
    again = client.get(url)
    assert again.status_code == 200
    assert 'data-testid="link-used"' in again.content.decode() and "该评价链接已使用过" in again.content.decode()
    assert 'name="level"' not in again.content.decode()
    client.post(url, {"level": "1"})
    assert Evaluation.objects.count() == 1


def test_a_second_use_in_english(client, completed):
    url = _url(completed)
    client.post(url, {"level": "5"})
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This rating link has already been used" in body


def test_an_expired_link_says_so_and_records_nothing(client, completed):
    url = _url(completed)
    with time_machine.travel(COMPLETED_AT + timedelta(days=7, minutes=1), tick=False):
        page = client.get(url)
        assert page.status_code == 410 and 'data-testid="link-expired"' in page.content.decode()
        assert client.post(url, {"level": "5"}).status_code == 410
    assert not Evaluation.objects.exists()


def test_an_unknown_link_is_not_found(client, completed):
    response = client.get(reverse("complaints:case-rating", args=["not-a-real-token"]))
    assert response.status_code == 404 and 'data-testid="link-unknown"' in response.content.decode()


def test_a_case_rated_elsewhere_first_cannot_be_rated_again_and_the_link_is_left_as_it_was(completed, window_staff):
    device = channel_for(window_staff.centre, Channel.Kind.WINDOW_DEVICE)
    services.evaluation_submit(centre=window_staff.centre, channel=device, level=5, case=completed)
    with pytest.raises(Conflict):
        case_rating_submit(token=_token(completed), level=1)
    assert Evaluation.objects.count() == 1
    assert RatingLink.objects.get().used_at is None


def test_a_handler_who_left_since_is_still_the_one_rated(completed, window_staff):
    window_staff.is_active = False
    window_staff.save(update_fields=["is_active"])
    evaluation = case_rating_submit(token=_token(completed), level=2, text="等太久")
    assert evaluation.staff == window_staff
    assert evaluation.bad_review is not None  # a bad rating opens the bad-review flow as any other


def test_a_switched_off_sms_link_channel_refuses_the_rating(client, completed, window_staff):
    channel_for(window_staff.centre, Channel.Kind.SMS_LINK, is_active=False)
    response = client.post(_url(completed), {"level": "5"})
    assert response.status_code == 400 and not Evaluation.objects.exists()
    assert RatingLink.objects.get().used_at is None


def test_no_second_invitation_goes_out_for_a_case_whose_completion_sms_had_the_link(
    completed, django_capture_on_commit_callbacks
):
    from complaints.tasks import evaluation_invite_completed_task

    with django_capture_on_commit_callbacks(execute=True):
        assert services.evaluation_invite(case=completed) is None
        assert evaluation_invite_completed_task(days=365) == 0
    assert not EvaluationInvitation.objects.exists()
    assert not SmsMessage.objects.filter(key__startswith="evaluation-invite:").exists()


def test_a_channel_may_use_the_links_token_as_the_cases_invitation_code_once(completed, window_staff):
    from govservice.exceptions import ValidationFailed

    token = _token(completed)
    link = services.evaluation_invitation_check(case=completed, token=token)
    other = case_services.case_create(
        actor=window_staff,
        matter_type_id=completed.matter_type_id,
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="李四",
    )
    with pytest.raises(ValidationFailed):  # another case's code opens nothing
        services.evaluation_invitation_check(case=other, token=token)
    services.evaluation_invitation_mark_used(invitation=link)
    with pytest.raises(Conflict):
        services.evaluation_invitation_check(case=completed, token=token)
