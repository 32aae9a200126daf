"""Issue 16: the citizen's loop — the SMS at termination and at completion (with the one-time rating link),
the last-day reminder's wording, and the timeline of the public status page.

Every SMS goes through the outbox, so the notifications rules hold for it: daytime only, the per-number daily
cap, the number's opt-out.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cases import services
from cases.models import Case, RatingLink
from cases.timeline import citizen_timeline
from cases.wording import correction_deadline_phrase, day_month
from notifications.models import SmsMessage, SmsTemplate
from notifications.services import sms_claim_due, sms_opt_out
from tests.factories.cases import PHONE

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 12, 1, 10, 0, tzinfo=SH)  # correction deadline + 5 working days = Tue 8 December


def _render(message: SmsMessage) -> str:
    template = SmsTemplate.objects.filter(code=message.template_code).order_by("-version").first()
    assert template is not None, f"template {message.template_code} is not seeded"
    return template.render(message.params)


def _completed(case: Case, actor) -> Case:
    services.case_transition(case_id=case.id, to=Case.Status.IN_PROCESS, actor=actor)
    return services.case_transition(case_id=case.id, to=Case.Status.COMPLETED, actor=actor, note="已发证")


@pytest.fixture
def deficient(window_staff, log_case):
    with time_machine.travel(TUESDAY, tick=False):
        case = log_case(window_staff, provided="core")
        secondary = case.materials.get(is_core=False)
        return services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[secondary.id]
        )


def _expire(case: Case, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        assert services.case_correction_expire(case_id=case.id) is True


# --- termination -------------------------------------------------------------------------------------------


def test_termination_tells_the_citizen_why_and_what_to_do_next(deficient):
    _expire(deficient, datetime(2026, 12, 9, 10, 0, tzinfo=SH))
    message = SmsMessage.objects.get(key=f"case:{deficient.id}:terminated")
    assert message.template_code == "case_terminated" and message.status == SmsMessage.Status.QUEUED
    assert message.phone == PHONE
    text = _render(message)
    assert "住所使用证明" in text and "12月8日" in text  # which material, by which date
    assert "终止办理" in text and "重新申请" in text  # what happened, what to do next
    assert deficient.tracking_no in text


def test_termination_sms_is_queued_once_however_often_the_expiry_runs(deficient):
    _expire(deficient, datetime(2026, 12, 9, 10, 0, tzinfo=SH))
    with time_machine.travel(datetime(2026, 12, 9, 11, 0, tzinfo=SH), tick=False):
        assert services.case_correction_expire(case_id=deficient.id) is False
    assert SmsMessage.objects.filter(key__endswith=":terminated").count() == 1


def test_termination_at_night_waits_for_the_morning(deficient):
    _expire(deficient, datetime(2026, 12, 9, 23, 30, tzinfo=SH))
    message = SmsMessage.objects.get(key=f"case:{deficient.id}:terminated")
    assert message.send_after == datetime(2026, 12, 10, 8, 0, tzinfo=SH)
    SmsMessage.objects.filter(id=message.id).update(send_after=datetime(2026, 12, 9, 23, 0, tzinfo=SH))
    # Due, but at night: the dispatcher leaves it (the template does not allow night) until 08:00.
    assert message.id not in sms_claim_due(now=datetime(2026, 12, 9, 23, 45, tzinfo=SH), enqueue=False).claimed
    assert message.id in sms_claim_due(now=datetime(2026, 12, 10, 8, 1, tzinfo=SH), enqueue=False).claimed


def test_termination_sms_respects_the_daily_cap_per_number(deficient, settings):
    settings.SMS_DAILY_CAP_PER_NUMBER = 1
    _expire(deficient, datetime(2026, 12, 9, 10, 0, tzinfo=SH))
    from notifications.services import sms_enqueue

    other = sms_enqueue(key="other:1", phone=PHONE, template_code="case_correction_reminder", params={})
    now = datetime(2026, 12, 9, 10, 5, tzinfo=SH)
    SmsMessage.objects.filter(id=other.id).update(status="sent", claimed_at=now)
    result = sms_claim_due(now=now, enqueue=False)
    message = SmsMessage.objects.get(key=f"case:{deficient.id}:terminated")
    assert message.id in result.deferred and message.id not in result.claimed


def test_an_opted_out_number_gets_no_termination_sms(deficient):
    sms_opt_out(phone="138 1234 1234")  # typed with spaces: the same number
    _expire(deficient, datetime(2026, 12, 9, 10, 0, tzinfo=SH))
    message = SmsMessage.objects.get(key=f"case:{deficient.id}:terminated")
    assert message.status == SmsMessage.Status.CANCELLED
    assert message.id not in sms_claim_due(now=datetime(2026, 12, 9, 10, 5, tzinfo=SH), enqueue=False).claimed


def test_opting_out_cancels_what_is_still_queued_to_the_number(deficient):
    queued = SmsMessage.objects.filter(key__startswith=f"case:{deficient.id}:correction:", status="queued").count()
    assert queued
    assert sms_opt_out(phone=PHONE) == queued
    assert not SmsMessage.objects.filter(key__startswith=f"case:{deficient.id}:", status="queued").exists()


# --- completion and the rating link -----------------------------------------------------------------------


def test_completion_sms_carries_a_one_time_rating_link_tied_to_the_handler(window_staff, log_case):
    with time_machine.travel(TUESDAY, tick=False):
        case = services.case_accept(case_id=log_case(window_staff).id, actor=window_staff)
        _completed(case, window_staff)
    message = SmsMessage.objects.get(key=f"case:{case.id}:completed")
    assert message.template_code == "case_completed_rating"
    url = message.params["url"]
    prefix = "http://127.0.0.1:8000" + reverse("complaints:case-rating", args=["TOKEN"]).replace("TOKEN/", "")
    assert url.startswith(prefix)
    token = url[len(prefix) :].rstrip("/")
    link = RatingLink.objects.get(case=case)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(RatingLink.objects.filter(pk=link.pk).values().get())  # stored hashed only
    assert (link.handler, link.window) == (window_staff, window_staff.window)
    assert link.expires_at == TUESDAY + (datetime(2026, 12, 8) - datetime(2026, 12, 1))  # 7 days
    text = _render(message)
    assert url in text and "12月8日" in text and "一事一评" in text


def test_completing_without_a_phone_sends_nothing_and_makes_no_link(window_staff, log_case):
    case = services.case_accept(case_id=log_case(window_staff, applicant_phone="").id, actor=window_staff)
    _completed(case, window_staff)
    assert not RatingLink.objects.exists()
    assert not SmsMessage.objects.filter(key__endswith=":completed").exists()


def test_the_completion_notice_is_made_once_per_case(window_staff, log_case):
    case = services.case_accept(case_id=log_case(window_staff).id, actor=window_staff)
    case = _completed(case, window_staff)
    assert services.case_completed_notify(case=case) == RatingLink.objects.get()
    assert SmsMessage.objects.filter(key__endswith=":completed").count() == 1


def test_a_link_is_used_once_and_then_refused(window_staff, log_case):
    from govservice.exceptions import Conflict, ValidationFailed

    case = _completed(services.case_accept(case_id=log_case(window_staff).id, actor=window_staff), window_staff)
    token = SmsMessage.objects.get(key=f"case:{case.id}:completed").params["url"].rstrip("/").rsplit("/", 1)[1]
    assert services.rating_link_consume(token=token).case == case
    with pytest.raises(Conflict):
        services.rating_link_consume(token=token)
    with pytest.raises(ValidationFailed):
        services.rating_link_consume(token=token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_an_expired_link_is_refused(window_staff, log_case):
    from govservice.exceptions import ValidationFailed

    with time_machine.travel(TUESDAY, tick=False):
        case = services.case_accept(case_id=log_case(window_staff).id, actor=window_staff)
        _completed(case, window_staff)
    token = SmsMessage.objects.get(key=f"case:{case.id}:completed").params["url"].rstrip("/").rsplit("/", 1)[1]
    with time_machine.travel(datetime(2026, 12, 8, 10, 1, tzinfo=SH), tick=False), pytest.raises(ValidationFailed):
        services.rating_link_consume(token=token)
    assert RatingLink.objects.get().used_at is None


# --- the last day's reminder --------------------------------------------------------------------------------


def test_the_reminder_on_the_last_day_says_today_is_the_last_day(deficient):
    reminders = {m.params["deadline"]: m for m in SmsMessage.objects.filter(key__contains=":correction:")}
    before = reminders["2026-12-08"]  # two working days before: the usual wording
    assert before.template_code == "case_correction_reminder" and "请于2026-12-08前" in _render(before)
    last = reminders["12月8日"]
    assert last.template_code == "case_correction_last_day"
    assert "今天（12月8日）是补正材料的最后期限" in _render(last)
    assert "请于" not in _render(last)


def test_a_reminder_planned_late_on_the_last_day_uses_the_last_day_wording(window_staff, log_case, matter):
    matter.correction_days = 1
    matter.save()
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=SH), tick=False):
        case = log_case(window_staff, provided="core")
        services.case_accept_with_deficiencies(
            case_id=case.id, actor=window_staff, deferred_material_ids=[case.materials.get(is_core=False).id]
        )
    with time_machine.travel(datetime(2026, 12, 2, 9, 30, tzinfo=SH), tick=False):
        SmsMessage.objects.all().delete()
        services.reminders_plan(case=case)
    assert {m.template_code for m in SmsMessage.objects.all()} == {"case_correction_last_day"}


@pytest.mark.parametrize(
    ("language", "on_the_day", "before"),
    [
        ("zh-hans", "今天（12月4日）是补正材料的最后期限", "请于12月4日前补交材料"),
        (
            "en",
            "Today (4 December) is the last day to submit the missing materials",
            "Please submit the materials by 4 December",
        ),
    ],
)
def test_the_deadline_wording_in_both_languages(language, on_the_day, before):
    deadline = date(2026, 12, 4)
    with translation.override(language):
        assert correction_deadline_phrase(deadline=deadline, today=deadline) == on_the_day
        assert correction_deadline_phrase(deadline=deadline, today=date(2026, 12, 2)) == before
        assert day_month(deadline) == ("12月4日" if language == "zh-hans" else "4 December")


# --- the timeline of the public status page ------------------------------------------------------------------


def _kinds_and_titles(case: Case) -> list[tuple[str, str]]:
    return [(step.kind, step.title) for step in citizen_timeline(case=case)]


def test_timeline_of_a_case_awaiting_materials_names_them_and_the_deadline(deficient):
    with time_machine.travel(datetime(2026, 12, 8, 9, 0, tzinfo=SH), tick=False):
        steps = citizen_timeline(case=deficient)
    assert [s.kind for s in steps] == ["received", "accepted", "waiting"]
    assert steps[-1].title == "等待补交材料：住所使用证明"
    assert steps[-1].detail == "今天（12月8日）是补正材料的最后期限"
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=SH), tick=False):
        assert citizen_timeline(case=deficient)[-1].detail == "请于12月8日前补交材料"


def test_timeline_after_the_materials_came_and_the_case_was_completed(deficient, window_staff):
    material = deficient.materials.get(state="deferred")
    services.case_material_receive(case_id=deficient.id, case_material_id=material.id, actor=window_staff)
    case = services.case_transition(case_id=deficient.id, to=Case.Status.COMPLETED, actor=window_staff, note="已发证")
    steps = citizen_timeline(case=case)
    assert [s.kind for s in steps] == ["received", "accepted", "waiting", "material", "in_process", "completed"]
    assert steps[2].detail == "补正期限：12月8日"  # no longer "please submit by"
    assert steps[3].title == "已收到补正材料：住所使用证明"


def test_timeline_of_a_terminated_case_says_why(deficient):
    _expire(deficient, datetime(2026, 12, 9, 10, 0, tzinfo=SH))
    last = citizen_timeline(case=deficient)[-1]
    assert (last.kind, last.title) == ("ended", "已终止办理")
    assert "12月8日" in last.detail and "住所使用证明" in last.detail and "重新申请" in last.detail


def test_timeline_of_a_rejected_case_gives_the_legal_ground(window_staff, log_case):
    case = log_case(window_staff)
    case = services.case_transition(case_id=case.id, to=Case.Status.REJECTED, actor=window_staff, reason="not_eligible")
    assert _kinds_and_titles(case)[-1] == ("ended", "不予受理")
    assert citizen_timeline(case=case)[-1].detail == "不符合法定受理条件"


def test_timeline_in_english(deficient):
    with translation.override("en"), time_machine.travel(datetime(2026, 12, 8, 9, 0, tzinfo=SH), tick=False):
        steps = citizen_timeline(case=deficient)
    assert steps[0].title == "Your application was received"
    assert steps[-1].detail == "Today (8 December) is the last day to submit the missing materials"


def test_the_status_page_shows_the_timeline_without_staff_or_personal_data(client, deficient, window_staff):
    services.case_handover_offer(
        case_id=deficient.id, actor=window_staff, to_user_id=_colleague(window_staff).id, reason="休假交接"
    )
    response = client.post(reverse("cases:progress"), {"tracking_no": deficient.tracking_no, "phone_last4": "1234"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="progress-timeline"' in body and "等待补交材料：住所使用证明" in body
    assert window_staff.name not in body and "休假交接" not in body  # no staff, no internal steps
    assert PHONE not in body and "王小明" not in body


def test_the_status_page_is_rate_limited(client, deficient):
    from cases.views.public import LOOKUP_LIMIT

    for _ in range(LOOKUP_LIMIT):
        client.post(reverse("cases:progress"), {"tracking_no": deficient.tracking_no, "phone_last4": "0000"})
    response = client.post(reverse("cases:progress"), {"tracking_no": deficient.tracking_no, "phone_last4": "1234"})
    assert response.status_code == 429 and "progress-timeline" not in response.content.decode()


def _colleague(user):
    from tests.factories.staff import window_staff as make_window_staff

    return make_window_staff(centre=user.centre, username="colleague1", name="李同事")
