"""The leaders' weekly digest: last week against the week before, as a page, a PDF and an e-mail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cases.documents import cjk_font
from complaints.models import Complaint
from dashboard.digest import BadWeek, build_digest, last_full_week, parse_week, week_label
from dashboard.digest_output import digest_pdf, digest_recipients, digest_send, digests_send_weekly
from dashboard.models import DigestDelivery, DigestOptOut
from tests.factories import development as make

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)  # 2026-W49
needs_font = pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def week_of_complaints(window_staff):
    """Three complaints in W49 (two about attitude), one in W48, one in W50."""
    make.complaint(window_staff, at(MONDAY), category="attitude")
    make.complaint(window_staff, at(MONDAY + timedelta(days=3)), category="attitude")
    make.complaint(window_staff, at(MONDAY + timedelta(days=6), 23), category="ability")
    make.complaint(window_staff, at(MONDAY - timedelta(days=1)), category="ability")
    make.complaint(window_staff, at(MONDAY + timedelta(days=7)), category="discipline")


def test_a_week_is_written_the_iso_way():
    assert parse_week("2026-W49") == MONDAY
    assert week_label(MONDAY) == "2026-W49"
    with pytest.raises(BadWeek):
        parse_week("2026-49")
    with pytest.raises(BadWeek):
        parse_week("2026-W54")


@given(st.dates(min_value=date(1900, 1, 8), max_value=date(2100, 12, 20)))
def test_every_day_belongs_to_the_week_its_label_names(day):
    monday = day - timedelta(days=day.weekday())
    assert parse_week(week_label(monday)) == monday
    assert parse_week(week_label(monday)) <= day < parse_week(week_label(monday)) + timedelta(days=7)


def test_last_full_week_is_the_week_before_this_one():
    assert last_full_week(date(2026, 12, 7)) == MONDAY  # a Monday
    assert last_full_week(date(2026, 12, 13)) == MONDAY  # the Sunday after


def test_the_week_is_compared_with_the_week_before(leader, week_of_complaints):
    digest = build_digest(leader=leader, monday=MONDAY)
    complaints = {f.key: f for f in digest.figures}["complaints"]
    in_week = Complaint.objects.filter(
        centre=leader.centre, received_at__gte=at(MONDAY, 0), received_at__lt=at(MONDAY + timedelta(days=7), 0)
    ).count()
    assert (complaints.this_week, complaints.last_week, complaints.delta) == (in_week, 1, in_week - 1)
    assert in_week == 3


def test_top_categories_are_the_weeks_own(leader, week_of_complaints):
    digest = build_digest(leader=leader, monday=MONDAY)
    assert [(c.label, c.count) for c in digest.top_categories] == [("服务态度", 2), ("业务能力", 1)]


def test_top_problems_count_the_weeks_linked_complaints(leader, window_staff, problem):
    for day in (0, 1):
        make.complaint(window_staff, at(MONDAY + timedelta(days=day)), category="attitude", problem=problem)
    make.complaint(window_staff, at(MONDAY - timedelta(days=3)), category="attitude", problem=problem)
    (top,) = build_digest(leader=leader, monday=MONDAY).top_problems
    assert top.label.startswith(problem.code)
    assert top.count == 2


def test_a_centre_leader_sees_only_the_centre(leader, week_of_complaints, other_centre, other_leader):
    digest = build_digest(leader=other_leader, monday=MONDAY)
    assert {f.key: f for f in digest.figures}["complaints"].this_week == 0


def test_a_missing_rota_shows_as_gaps_of_next_week(leader):
    digest = build_digest(leader=leader, monday=MONDAY)
    assert digest.rota_gaps, "no duty slots at all: every working half-day of the next week is a gap"
    assert all(MONDAY + timedelta(days=7) <= gap.day <= MONDAY + timedelta(days=11) for gap in digest.rota_gaps)


# --- sending ----------------------------------------------------------------------------------


@pytest.fixture
def leaders_with_mail(leader, city_leader):
    for person, address in ((leader, "leader@example.org"), (city_leader, "city@example.org")):
        person.email = address
        person.save(update_fields=["email"])
    return leader, city_leader


def test_each_leader_gets_the_week_once(leaders_with_mail, week_of_complaints):
    sent = digests_send_weekly(today=date(2026, 12, 7))
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["city@example.org", "leader@example.org"]
    assert "2026-W49" in mail.outbox[0].subject
    assert digests_send_weekly(today=date(2026, 12, 7)) == 0  # the 09:00 run sends nothing twice
    assert len(mail.outbox) == 2
    assert DigestDelivery.objects.filter(week="2026-W49").count() == 2


def test_a_leader_who_opted_out_gets_no_mail(leaders_with_mail, as_user):
    leader, city_leader = leaders_with_mail
    as_user(leader).post(reverse("dashboard:digest-subscription"), {"email": "off"})
    assert DigestOptOut.objects.filter(user=leader).exists()
    assert [p.id for p in digest_recipients()] == [city_leader.id]
    as_user(leader).post(reverse("dashboard:digest-subscription"), {"email": "on"})
    assert leader.id in [p.id for p in digest_recipients()]


def test_staff_and_leaders_without_an_address_get_nothing(leader, window_staff):
    window_staff.email = "staff@example.org"
    window_staff.save(update_fields=["email"])
    assert digest_recipients() == []


def test_a_failed_send_is_not_recorded_and_is_retried(leaders_with_mail, monkeypatch):
    leader, _city = leaders_with_mail
    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise OSError("relay down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    with pytest.raises(OSError):
        digest_send(leader=leader, monday=MONDAY)
    assert not DigestDelivery.objects.filter(user=leader).exists()


@needs_font
def test_the_mail_carries_the_pdf(leaders_with_mail):
    leader, _city = leaders_with_mail
    assert digest_send(leader=leader, monday=MONDAY)
    (message,) = mail.outbox
    (name, content, kind) = message.attachments[0]
    assert (name, kind) == ("digest-2026-W49.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert "text/html" in [alternative[1] for alternative in message.alternatives]


def test_the_beat_runs_it_on_monday_mornings_in_shanghai():
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-weekly-digest"]
    assert entry["task"] == "dashboard.tasks.weekly_digest_send"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.day_of_week == {1} and schedule.hour == {8, 9, 10, 11} and schedule.minute == {0}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


# --- the PDF, the page, the command -----------------------------------------------------------


@needs_font
def test_the_pdf_shows_chinese_text(leader, week_of_complaints, tmp_path):
    import pypdfium2

    document = pypdfium2.PdfDocument(digest_pdf(build_digest(leader=leader, monday=MONDAY)))
    page = document[0]
    text = page.get_textpage().get_text_range()
    assert "每周简报 2026-W49" in text
    assert "投诉最多的问题类别" in text
    image = page.render(scale=1.5).to_pil().convert("L")
    image.save(tmp_path / "digest.png")  # look at it: pytest keeps tmp_path
    dark = sum(1 for value in image.get_flattened_data() if value < 128)
    assert dark > 2000, "the page has text drawn on it, not empty boxes"


def test_the_page_shows_the_week_and_the_pdf_link(as_user, leader, week_of_complaints):
    page = as_user(leader).get(reverse("dashboard:digest"), {"week": "2026-W49"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "2026-W49" in body and 'data-testid="digest-pdf"' in body
    assert 'data-key="complaints"' in body


def test_a_bad_week_is_named_beside_the_field(as_user, leader):
    body = as_user(leader).get(reverse("dashboard:digest"), {"week": "next week"}).content.decode()
    assert 'id="week-error"' in body and "2026-W49" in body


def test_window_staff_cannot_open_the_digest(as_user, window_staff):
    assert as_user(window_staff).get(reverse("dashboard:digest")).status_code == 404


@needs_font
def test_the_command_writes_one_week_to_a_file(leader, tmp_path, week_of_complaints):
    out = StringIO()
    target = tmp_path / "digest.pdf"
    call_command("weekly_digest", centre=leader.centre.code, week="2026-W49", output=str(target), stdout=out)
    assert target.read_bytes().startswith(b"%PDF")
    html = tmp_path / "digest.html"
    call_command("weekly_digest", centre=leader.centre.code, week="2026-W49", output=str(html), stdout=out)
    assert "2026-W49" in html.read_text(encoding="utf-8")


def test_the_command_refuses_an_unknown_centre_or_week(leader, tmp_path):
    with pytest.raises(CommandError):
        call_command("weekly_digest", centre="nope", output=str(tmp_path / "x.html"))
    with pytest.raises(CommandError):
        call_command("weekly_digest", centre=leader.centre.code, week="W49", output=str(tmp_path / "x.html"))
