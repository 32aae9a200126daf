"""A complaint owns its reply deadline: rules per channel, type and centre, pauses for the citizen,
warnings at 50 / 80 / 100 %, the list and the API, and the calendar's recompute."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints import services
from complaints.calendar import complaint_replies_recompute
from complaints.deadlines import (
    complaint_overdue_q,
    paused_working_days,
    reply_due_from,
    reply_working_days,
)
from complaints.models import Channel, Complaint, ComplaintDeadlineRule, ComplaintEvent
from complaints.tasks import complaint_warn_reply_due_task
from govservice.calendar_hooks import CalendarChange
from govservice.workdays import WorkCalendar
from notifications.models import Notice
from tests.factories.complaints import channel_for

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)  # no holiday in March 2026


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _submit(centre, channel, *, kind=Complaint.Kind.COMPLAINT, at=MONDAY) -> Complaint:
    return services.complaint_submit(centre=centre, channel=channel, content="窗口态度差", kind=kind, received_at=at)


# --- rules: channels, types, centres --------------------------------------------------------------


def test_a_hotline_complaint_is_due_five_working_days_later_at_the_end_of_the_day(centre, hotline):
    complaint = _submit(centre, hotline)
    assert complaint.reply_working_days == 5
    assert timezone.localtime(complaint.reply_due_at) == datetime(2026, 3, 9, 17, 30, tzinfo=TZ)


def test_a_suggestion_gets_thirteen_working_days_except_on_the_hotline(centre, hotline):
    portal = channel_for(centre, Channel.Kind.PORTAL)
    assert _submit(centre, portal, kind=Complaint.Kind.SUGGESTION).reply_working_days == 13
    assert _submit(centre, hotline, kind=Complaint.Kind.SUGGESTION).reply_working_days == 5
    assert _submit(centre, portal).reply_working_days == 5


def test_a_rule_changed_in_the_admin_applies_to_the_next_complaint_at_once(centre, hotline):
    """The centre's rules are cached for the channel API; saving or deleting one forgets them."""
    assert _submit(centre, hotline).reply_working_days == 5  # read and cached
    rule = ComplaintDeadlineRule.objects.create(centre=centre, channel=hotline, kind="", working_days=3)
    assert _submit(centre, hotline).reply_working_days == 3
    rule.working_days = 4
    rule.save()
    assert _submit(centre, hotline).reply_working_days == 4
    rule.delete()
    assert _submit(centre, hotline).reply_working_days == 5


def test_the_most_specific_rule_of_the_centre_wins_and_other_centres_keep_the_defaults(centre, other_centre, hotline):
    portal = channel_for(centre, Channel.Kind.PORTAL)
    ComplaintDeadlineRule.objects.create(centre=centre, channel=None, kind="", working_days=7)
    ComplaintDeadlineRule.objects.create(centre=centre, channel=None, kind="suggestion", working_days=10)
    ComplaintDeadlineRule.objects.create(centre=centre, channel=hotline, kind="", working_days=3)
    ComplaintDeadlineRule.objects.create(centre=centre, channel=hotline, kind="suggestion", working_days=2)

    def days(centre_obj, channel, kind):
        return reply_working_days(centre_id=centre_obj.id, channel=channel, kind=kind)

    assert days(centre, hotline, "suggestion") == 2
    assert days(centre, hotline, "complaint") == 3
    assert days(centre, portal, "suggestion") == 10
    assert days(centre, portal, "complaint") == 7
    assert days(other_centre, portal, "complaint") == 5
    complaint = _submit(centre, portal)
    assert (complaint.reply_working_days, _local_day(complaint.reply_due_at)) == (7, date(2026, 3, 11))


def test_a_rule_edited_later_does_not_change_a_stored_deadline(centre, hotline, leader):
    complaint = _submit(centre, hotline)
    ComplaintDeadlineRule.objects.create(centre=centre, channel=hotline, kind="", working_days=2)
    change = CalendarChange(2026, leader, WorkCalendar.load(), WorkCalendar.load(), date(2026, 3, 2))
    complaint_replies_recompute(change)
    complaint.refresh_from_db()
    assert complaint.reply_working_days == 5 and _local_day(complaint.reply_due_at) == date(2026, 3, 9)


# --- pause and resume ----------------------------------------------------------------------------


def test_waiting_for_the_citizen_pauses_the_clock_and_resuming_moves_the_deadline(centre, hotline, leader):
    complaint = _submit(centre, hotline)  # due Monday 9 March
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=TZ), tick=False):
        services.complaint_wait_for_citizen(complaint_id=complaint.id, actor=leader, note="请补充办件编号")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.WAITING_CITIZEN
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=TZ), tick=False):
        assert not Complaint.objects.filter(complaint_overdue_q(timezone.now())).exists()  # paused: not overdue
        services.complaint_resume(complaint_id=complaint.id, actor=leader)
    complaint.refresh_from_db()
    # Paused Tuesday 3 → Tuesday 10 March: 5 working days; due Monday 9 + 5 = Monday 16 March.
    assert complaint.status == Complaint.Status.RECEIVED
    assert complaint.reply_paused_days == 5
    assert _local_day(complaint.reply_due_at) == date(2026, 3, 16)
    events = list(complaint.events.order_by("id").values_list("old_status", "new_status"))
    assert events[-2:] == [("received", "waiting_citizen"), ("waiting_citizen", "received")]
    assert "2026-03-16" in complaint.events.order_by("id").last().note


def test_only_a_waiting_complaint_can_be_resumed(centre, hotline, leader):
    from govservice.exceptions import InvalidTransition

    complaint = _submit(centre, hotline)
    with pytest.raises(InvalidTransition):
        services.complaint_resume(complaint_id=complaint.id, actor=leader)


def test_window_staff_not_owning_a_complaint_cannot_pause_it(centre, hotline, window_staff):
    from govservice.exceptions import NotPermitted

    complaint = _submit(centre, hotline)
    with pytest.raises(NotPermitted):
        services.complaint_wait_for_citizen(complaint_id=complaint.id, actor=window_staff)


pauses = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9)), min_size=0, max_size=4)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pauses=pauses)
def test_the_deadline_moves_by_exactly_the_paused_working_days_over_any_sequence_of_pauses(
    pauses, centre, hotline, leader
):
    """Whatever pauses (days after the previous step, days paused) come, the deadline is the start plus
    the rule's working days plus the working days paused, and the time counted outside pauses is the rule's."""
    calendar = WorkCalendar.load()
    complaint = _submit(centre, hotline)
    moment = MONDAY
    total_paused = 0
    for gap, length in pauses:
        moment += timedelta(days=gap)
        with time_machine.travel(moment, tick=False):
            services.complaint_wait_for_citizen(complaint_id=complaint.id, actor=leader)
        paused_on = moment
        moment += timedelta(days=length)
        with time_machine.travel(moment, tick=False):
            services.complaint_resume(complaint_id=complaint.id, actor=leader)
        total_paused += paused_working_days(calendar, paused_at=paused_on, resumed_at=moment)
    complaint.refresh_from_db()
    expected = reply_due_from(calendar, received_at=MONDAY, working_days=5, paused_days=total_paused)
    assert complaint.reply_due_at == expected.at
    assert complaint.reply_paused_days == total_paused
    due_day = _local_day(complaint.reply_due_at)
    assert calendar.is_working_day(due_day)
    assert calendar.count_working_days(MONDAY.date(), due_day).days - total_paused == 5


# --- warnings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "level"),
    [
        (datetime(2026, 3, 4, 17, 0, tzinfo=TZ), 0),  # 2 of 5 working days
        (datetime(2026, 3, 5, 18, 0, tzinfo=TZ), 50),  # after the 3rd day: 60 %
        (datetime(2026, 3, 6, 18, 0, tzinfo=TZ), 80),  # after the 4th day
        (datetime(2026, 3, 9, 17, 31, tzinfo=TZ), 100),  # past the deadline
    ],
)
def test_warnings_come_at_50_80_and_100_percent_once_each(when, level, centre, hotline, leader, window_staff):
    complaint = _submit(centre, hotline)
    Complaint.objects.filter(id=complaint.id).update(owner=window_staff)
    with time_machine.travel(when, tick=False):
        sent = complaint_warn_reply_due_task()
        assert complaint_warn_reply_due_task() == 0  # a second run sends nothing
    complaint.refresh_from_db()
    assert complaint.reply_warned_level == level
    notices = Notice.objects.filter(key__startswith=f"complaint-reply-due:{complaint.id}:")
    if level == 0:
        assert sent == 0 and not notices.exists()
    elif level < 100:
        assert sent == 1 and set(notices.values_list("recipient", flat=True)) == {window_staff.id}
    else:
        assert sent == 2 and set(notices.values_list("recipient", flat=True)) == {window_staff.id, leader.id}


def test_each_level_is_warned_once_as_time_goes_by_and_a_paused_complaint_not_at_all(
    centre, hotline, leader, window_staff
):
    complaint = _submit(centre, hotline)
    paused = _submit(centre, hotline)
    Complaint.objects.filter(id__in=[complaint.id, paused.id]).update(owner=window_staff)
    with time_machine.travel(datetime(2026, 3, 2, 11, 0, tzinfo=TZ), tick=False):
        services.complaint_wait_for_citizen(complaint_id=paused.id, actor=leader)
    for day in range(2, 12):
        with time_machine.travel(datetime(2026, 3, day, 18, 0, tzinfo=TZ), tick=False):
            complaint_warn_reply_due_task()
    keys = sorted(Notice.objects.filter(recipient=window_staff).values_list("key", flat=True))
    assert keys == [f"complaint-reply-due:{complaint.id}:{level}:2026-03-09" for level in (100, 50, 80)]
    assert not Notice.objects.filter(key__startswith=f"complaint-reply-due:{paused.id}:").exists()


# --- the list, its filters and the API -------------------------------------------------------------


def test_the_list_shows_the_deadline_and_overdue_and_filters_overdue_and_due_soon(client, centre, hotline, leader):
    late = _submit(centre, hotline, at=datetime(2026, 3, 2, 10, 0, tzinfo=TZ))  # due 9 March
    soon = _submit(centre, hotline, at=datetime(2026, 3, 5, 10, 0, tzinfo=TZ))  # due 12 March
    later = _submit(centre, hotline, at=datetime(2026, 3, 9, 10, 0, tzinfo=TZ))  # due 16 March
    replied = _submit(centre, hotline, at=datetime(2026, 3, 2, 10, 0, tzinfo=TZ))
    Complaint.objects.filter(id=replied.id).update(status=Complaint.Status.REPLIED)
    client.force_login(leader)
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=TZ), tick=False):
        html = client.get("/feedback/complaints/").content.decode()
        overdue = client.get("/feedback/complaints/?due=overdue").context["page"]
        due_soon = client.get("/feedback/complaints/?due=soon").context["page"]
        api = client.get("/api/v1/feedback/complaints/?due=overdue").json()
    assert "2026-03-09" in html and "已逾期" in html
    assert [c.id for c in overdue] == [late.id]
    assert [c.id for c in due_soon] == [soon.id]
    assert later.id not in [c.id for c in due_soon]
    assert [row["tracking_no"] for row in api["results"]] == [late.tracking_no]
    row = api["results"][0]
    assert row["overdue"] is True and row["reply_paused"] is False
    assert row["reply_due_at"].startswith("2026-03-09T17:30")


def test_the_api_detail_says_a_complaint_within_its_time_is_not_overdue(client, centre, hotline, leader):
    complaint = _submit(centre, hotline)
    client.force_login(leader)
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tick=False):
        body = client.get(f"/api/v1/feedback/complaints/{complaint.public_id}/").json()
    assert body["overdue"] is False and body["reply_due_provisional"] is False


# --- the working calendar ------------------------------------------------------------------------


def test_a_calendar_change_recomputes_the_stored_deadline_and_rearms_its_warnings(
    centre, hotline, leader, window_staff
):
    complaint = _submit(centre, hotline)  # due Monday 9 March
    Complaint.objects.filter(id=complaint.id).update(owner=window_staff, reply_warned_level=50)
    before = WorkCalendar.load()
    after = WorkCalendar({**before.overrides, date(2026, 3, 4): False, date(2026, 3, 5): False}, before.complete_years)
    change = CalendarChange(2026, leader, before, after, date(2026, 3, 3))
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tick=False):
        assert complaint_replies_recompute(change) == 1
    complaint.refresh_from_db()
    assert _local_day(complaint.reply_due_at) == date(2026, 3, 11)
    assert complaint.reply_warned_level == 0
    event = ComplaintEvent.objects.filter(complaint=complaint).order_by("id").last()
    assert event.actor == leader and "2026-03-11" in event.note


def test_the_intake_public_status_reads_the_stored_deadline(centre, hotline):
    from intake.selectors import public_status

    complaint = _submit(centre, hotline)
    moved = timezone.make_aware(datetime(2026, 4, 1, 17, 30))
    Complaint.objects.filter(id=complaint.id).update(reply_due_at=moved)
    complaint.refresh_from_db()
    assert public_status(complaint)["expected_reply_by"] == moved


def test_the_detail_page_shows_the_deadline_and_pauses_and_resumes_through_its_buttons(client, centre, hotline, leader):
    complaint = _submit(centre, hotline)
    client.force_login(leader)
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=TZ), tick=False):
        html = client.get(complaint.get_absolute_url()).content.decode()
        assert "2026-03-09 17:30" in html and 'data-testid="wait-form"' in html
        client.post(f"/feedback/complaints/{complaint.public_id}/wait/", {"note": "请补充材料"})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.WAITING_CITIZEN
    with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=TZ), tick=False):
        assert 'data-testid="resume-form"' in client.get(complaint.get_absolute_url()).content.decode()
        client.post(f"/feedback/complaints/{complaint.public_id}/resume/", {"note": ""})
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RECEIVED and complaint.reply_paused_days == 2
    assert _local_day(complaint.reply_due_at) == date(2026, 3, 11)
