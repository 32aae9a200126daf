"""The working calendar entered a year at a time: loading from the package, the rules of the form,
and the recompute of every kind of stored deadline when a year is saved.

The scene: Monday 28 December 2026. The installed chinesecalendar knows 2026 but not 2027, so every
deadline that runs into January 2027 was counted on weekends only (provisional), with Friday
1 January 2027 as a working day. The centre then enters 2027 with New Year's Day off (1–3 January):
each such deadline moves one working day later.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from cases import services as case_services
from cases.models import Case, CaseEvent, Commitment
from complaints.escalations import escalation_register
from complaints.models import BadReview, ComplaintEvent, Escalation, EscalationEvent, EvaluationEvent
from govservice.calendar_forms import YearForms
from govservice.calendar_year import (
    HolidayRange,
    MakeupDay,
    YearPlan,
    calendar_year_save,
    package_knows,
    year_plan_from_package,
)
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.models import WorkCalendarChange, WorkCalendarDay, WorkCalendarYear
from govservice.workdays import WorkCalendar
from notifications.models import Notice, SmsMessage
from rectification.models import ProblemEvent
from tests.factories.cases import PHONE, VALID_RIC, matter_with_materials
from tests.factories.complaints import ComplaintFactory, EvaluationFactory
from tests.factories.rectification import MeasureFactory, ProblemFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)
NEW_YEAR_2027 = YearPlan(
    year=2027,
    holidays=[HolidayRange("元旦", date(2027, 1, 1), date(2027, 1, 3))],
    makeup_days=[],
    source="国办发明电〔2026〕1号",
)


@pytest.fixture(autouse=True)
def _monday_before_new_year():
    assert not package_knows(2027), "the installed chinesecalendar knows 2027: pick a later scene year"
    with time_machine.travel(MONDAY, tick=False):
        yield


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cal"}}


@pytest.fixture
def matter(centre):
    return matter_with_materials(centre, code="CAL001", promised_days=10, correction_days=5, reminder_offsets="2")


def _log(actor, matter, *, provided: str) -> Case:
    ids = [m.id for m in matter.materials.all() if provided == "all" or m.is_core]
    return case_services.case_create(
        actor=actor,
        matter_type_id=matter.id,
        provided_material_ids=ids,
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="王小明",
        applicant_phone=PHONE,
        applicant_id_number=VALID_RIC,
    )


def _save(plan: YearPlan, actor, capture) -> WorkCalendarChange:
    with capture(execute=True):
        return calendar_year_save(plan=plan, actor=actor)


# --- each kind of deadline -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_provisional_promised_date_moves_when_the_year_is_saved_with_its_holidays(
    window_staff, centre_admin, matter, django_capture_on_commit_callbacks
):
    case = case_services.case_accept(case_id=_log(window_staff, matter, provided="all").id, actor=window_staff)
    assert case.due_date == date(2027, 1, 11)  # 1 January counted as a working day
    assert case_services.case_clock(case=case).provisional

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    case.refresh_from_db()
    assert case.due_date == date(2027, 1, 12)
    assert not case_services.case_clock(case=case).provisional
    assert change.moved["case_due"] == 1
    event = case.events.filter(kind=CaseEvent.Kind.NOTE).last()
    assert event is not None and event.actor == centre_admin and "2027-01-12" in event.note
    assert Notice.objects.filter(recipient=window_staff, text__contains="2027-01-12").exists()


@pytest.mark.django_db
def test_a_correction_deadline_and_its_reminders_move(
    window_staff, centre_admin, matter, django_capture_on_commit_callbacks
):
    case = _log(window_staff, matter, provided="core")
    secondary = case.materials.get(is_core=False)
    case_services.case_accept_with_deficiencies(
        case_id=case.id, actor=window_staff, deferred_material_ids=[secondary.id]
    )
    commitment = Commitment.objects.get(case=case)
    assert (commitment.deadline, commitment.deadline_provisional) == (date(2027, 1, 4), True)
    old_keys = set(
        SmsMessage.objects.filter(key__startswith=f"case:{case.id}:correction:").values_list("key", flat=True)
    )
    assert old_keys and all("2027-01-04" in key for key in old_keys)

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    commitment.refresh_from_db()
    case.refresh_from_db()
    assert (commitment.deadline, commitment.deadline_provisional) == (date(2027, 1, 5), False)
    assert case.correction_deadline == date(2027, 1, 5)
    assert change.moved["case_correction"] == 1
    assert set(SmsMessage.objects.filter(key__in=old_keys).values_list("status", flat=True)) == {"cancelled"}
    queued = SmsMessage.objects.filter(key__startswith=f"case:{case.id}:correction:", status="queued")
    assert queued.exists() and all("2027-01-05" in sms.key for sms in queued)
    assert case.reminder_calls.filter(deadline=date(2027, 1, 5), outcome="pending").exists()
    assert case.events.filter(kind=CaseEvent.Kind.NOTE, actor=centre_admin, note__contains="2027-01-05").exists()


@pytest.mark.django_db
def test_a_complaint_reply_deadline_that_moved_is_recorded_and_told_to_its_owner(
    centre, window_staff, centre_admin, django_capture_on_commit_callbacks
):
    complaint = ComplaintFactory(centre=centre, owner=window_staff, received_at=MONDAY)
    answered = ComplaintFactory(centre=centre, owner=window_staff, received_at=MONDAY, status="replied")

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    assert change.moved["complaint_reply"] == 1
    event = ComplaintEvent.objects.get(complaint=complaint)
    assert event.actor == centre_admin and "2027-01-04" in event.note and "2027-01-05" in event.note
    assert not ComplaintEvent.objects.filter(complaint=answered).exists()
    assert Notice.objects.filter(recipient=window_staff, text__contains=complaint.tracking_no).exists()


@pytest.mark.django_db
def test_a_bad_reviews_rectification_date_moves_and_its_warning_is_rearmed(
    centre, window_staff, centre_admin, django_capture_on_commit_callbacks
):
    evaluation = EvaluationFactory(centre=centre, level=1, rated_at=MONDAY)
    bad_review = BadReview.objects.create(
        evaluation=evaluation,
        centre=centre,
        owner=window_staff,
        contact_due=date(2026, 12, 29),
        rectify_due=date(2027, 1, 4),
        rectify_warned_at=MONDAY,
    )

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    bad_review.refresh_from_db()
    assert (bad_review.contact_due, bad_review.rectify_due) == (date(2026, 12, 29), date(2027, 1, 5))
    assert bad_review.rectify_warned_at is None
    assert change.moved["bad_review"] == 1
    assert EvaluationEvent.objects.filter(evaluation=evaluation, action="deadline_moved", actor=centre_admin).exists()
    assert Notice.objects.filter(recipient=window_staff, text__contains="2027-01-05").exists()


@pytest.mark.django_db
def test_an_escalation_answer_date_moves(centre, leader, centre_admin, django_capture_on_commit_callbacks):
    escalation = escalation_register(
        centre=centre, content="营业执照办不下来", actor=leader, kind=Escalation.Kind.COMPLEX
    )
    assert (escalation.due_date, escalation.due_is_provisional) == (date(2027, 1, 4), True)

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    escalation.refresh_from_db()
    assert (escalation.due_date, escalation.due_is_provisional) == (date(2027, 1, 5), False)
    assert change.moved["escalation"] == 1
    assert EscalationEvent.objects.filter(
        escalation=escalation, actor=centre_admin, note__contains="2027-01-05"
    ).exists()
    assert Notice.objects.filter(recipient=leader, text__contains=escalation.tracking_no).exists()


@pytest.mark.django_db
def test_a_measure_counted_in_working_days_moves_and_a_fixed_date_stays(
    centre, centre_admin, django_capture_on_commit_callbacks
):
    problem = ProblemFactory(centre=centre)
    counted = MeasureFactory(
        problem=problem,
        start_on=date(2026, 12, 28),
        working_days=5,
        deadline=date(2027, 1, 4),
        deadline_provisional=True,
    )
    fixed = MeasureFactory(problem=problem, deadline=date(2027, 1, 4))

    change = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)

    counted.refresh_from_db()
    fixed.refresh_from_db()
    assert (counted.deadline, counted.deadline_provisional) == (date(2027, 1, 5), False)
    assert fixed.deadline == date(2027, 1, 4)
    assert change.moved["ledger_measure"] == 1
    event = ProblemEvent.objects.get(problem=problem, actor=centre_admin, kind=ProblemEvent.Kind.EDIT)
    assert event.changes == {"deadline": ["2027-01-04", "2027-01-05"]}
    assert Notice.objects.filter(recipient=counted.owner, text__contains="2027-01-05").exists()


# --- the save itself ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_summary_counts_each_kind_and_the_days_entered(
    centre, window_staff, leader, centre_admin, matter, django_capture_on_commit_callbacks
):
    case_services.case_accept(case_id=_log(window_staff, matter, provided="all").id, actor=window_staff)
    ComplaintFactory(centre=centre, owner=window_staff, received_at=MONDAY)
    ComplaintFactory(centre=centre, owner=window_staff, received_at=MONDAY)
    escalation_register(centre=centre, content="办不成", actor=leader, kind=Escalation.Kind.GENERAL)  # due 30 Dec
    plan = YearPlan(
        year=2027,
        holidays=[*NEW_YEAR_2027.holidays, HolidayRange("春节", date(2027, 2, 6), date(2027, 2, 13))],
        makeup_days=[MakeupDay(date(2027, 2, 14), "春节调休上班")],
    )

    change = _save(plan, centre_admin, django_capture_on_commit_callbacks)

    assert change.moved == {
        "case_due": 1,
        "case_correction": 0,
        "complaint_reply": 2,
        "bad_review": 0,
        "escalation": 0,
        "work_order": 0,
        "ledger_measure": 0,
        "score_follow_up": 0,
    }
    assert (change.days_off, change.makeup_days, change.moved_total, change.actor) == (11, 1, 3, centre_admin)
    assert WorkCalendarYear.objects.get(year=2027).is_complete
    assert WorkCalendarDay.objects.get(date=date(2027, 2, 14)).is_workday
    assert not WorkCalendar.load().is_working_day(date(2027, 2, 8))


@pytest.mark.django_db
def test_saving_a_year_again_replaces_its_days_and_moves_nothing_twice(
    centre_admin, django_capture_on_commit_callbacks
):
    _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)
    WorkCalendarDay.objects.create(date=date(2027, 5, 5), is_workday=False, name="stale")
    again = _save(NEW_YEAR_2027, centre_admin, django_capture_on_commit_callbacks)
    assert again.moved_total == 0
    assert sorted(WorkCalendarDay.objects.values_list("date", flat=True)) == [
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 1, 3),
    ]


@pytest.mark.django_db
def test_only_administrators_may_save_a_year(leader):
    with pytest.raises(NotPermitted):
        calendar_year_save(plan=NEW_YEAR_2027, actor=leader)
    assert not WorkCalendarDay.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_a_make_up_day_on_a_holiday(centre_admin):
    plan = YearPlan(year=2027, holidays=NEW_YEAR_2027.holidays, makeup_days=[MakeupDay(date(2027, 1, 2), "x")])
    with pytest.raises(ValidationFailed):
        calendar_year_save(plan=plan, actor=centre_admin)
    assert not WorkCalendarDay.objects.exists() and not WorkCalendarChange.objects.exists()


# --- the package ---------------------------------------------------------------------------------


def test_a_year_the_package_knows_loads_as_ranges_and_make_up_days():
    plan = year_plan_from_package(2026)
    assert plan is not None
    assert HolidayRange("元旦", date(2026, 1, 1), date(2026, 1, 3)) in plan.holidays
    assert HolidayRange("春节", date(2026, 2, 15), date(2026, 2, 23)) in plan.holidays
    assert MakeupDay(date(2026, 2, 14), "春节调休上班") in plan.makeup_days
    calendar = WorkCalendar({day: is_workday for day, (is_workday, _name) in plan.days().items()}, frozenset({2026}))
    # The loaded plan alone counts every day of 2026 as the package does.
    from chinese_calendar import is_workday

    day = date(2026, 1, 1)
    while day.year == 2026:
        assert calendar.is_working_day(day) == is_workday(day), day
        day = date.fromordinal(day.toordinal() + 1)
    assert year_plan_from_package(2027) is None


@pytest.mark.django_db
def test_saving_a_year_loaded_from_the_package_moves_no_deadline(
    centre, window_staff, centre_admin, django_capture_on_commit_callbacks
):
    ComplaintFactory(centre=centre, owner=window_staff, received_at=datetime(2026, 9, 24, 10, tzinfo=SHANGHAI))
    plan = year_plan_from_package(2026)
    assert plan is not None
    change = _save(plan, centre_admin, django_capture_on_commit_callbacks)
    assert change.moved_total == 0 and change.source == "chinesecalendar"


# --- the form's rules, next to the field, in both languages ---------------------------------------


def _post(holidays=(), makeups=(), **extra) -> dict[str, str]:
    data = {
        "source": "国办发明电〔2026〕1号",
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
        "makeups-TOTAL_FORMS": str(len(makeups)),
        "makeups-INITIAL_FORMS": "0",
    }
    for i, (name, first, last) in enumerate(holidays):
        data |= {f"holidays-{i}-name": name, f"holidays-{i}-first": first, f"holidays-{i}-last": last}
    for i, (day, name) in enumerate(makeups):
        data |= {f"makeups-{i}-date": day, f"makeups-{i}-name": name}
    return data | extra


@pytest.mark.parametrize(
    ("holidays", "makeups", "where", "zh", "en"),
    [
        ([("元旦", "2027-01-03", "2027-01-01")], [], ("holidays", 0, "last"), "结束日期不能早于开始日期", "end date"),
        ([("元旦", "2026-12-31", "2027-01-01")], [], ("holidays", 0, "first"), "须在 2027 年内", "within 2027"),
        (
            [("春节", "2027-02-06", "2027-02-13"), ("元宵", "2027-02-12", "2027-02-14")],
            [],
            ("holidays", 1, "first"),
            "重叠",
            "overlaps",
        ),
        ([("元旦", "2027-01-01", "2027-01-03")], [("2027-01-02", "")], ("makeups", 0, "date"), "放假期间", "holiday"),
        ([], [("2028-01-02", "")], ("makeups", 0, "date"), "须在 2027 年内", "within 2027"),
    ],
)
def test_each_bad_entry_is_named_next_to_its_field_in_chinese_and_english(holidays, makeups, where, zh, en):
    part, index, field = where
    for language, expected in (("zh-hans", zh), ("en", en)):
        with translation.override(language):
            forms = YearForms(2027, _post(holidays, makeups))
            assert not forms.is_valid()
            errors = getattr(forms, part).forms[index].errors[field]
            assert any(expected in str(error) for error in errors), (language, errors)


# --- the screen, without a browser -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_screen_is_for_administrators_only(as_user, window_staff, leader):
    for person in (window_staff, leader):
        assert as_user(person).get("/calendar/2027/").status_code == 403


@pytest.mark.django_db
def test_the_preview_shows_twelve_months_and_saves_nothing(as_user, centre_admin):
    client = as_user(centre_admin)
    response = client.post(
        "/calendar/2027/",
        _post([("春节", "2027-02-06", "2027-02-13")], [("2027-02-14", "春节调休上班")], action="preview"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="calendar-month"') == 12
    assert 'data-date="2027-02-08" data-kind="holiday"' in html
    assert 'data-date="2027-02-14" data-kind="makeup"' in html
    assert 'data-date="2027-02-20" data-kind="weekend"' in html
    assert 'value="save"' in html
    assert not WorkCalendarDay.objects.exists() and not WorkCalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_bad_entry_comes_back_next_to_its_field_and_nothing_is_saved(as_user, centre_admin):
    response = as_user(centre_admin).post(
        "/calendar/2027/", _post([("元旦", "2027-01-03", "2027-01-01")], action="save")
    )
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not WorkCalendarDay.objects.exists()


@pytest.mark.django_db
def test_saving_on_the_screen_shows_the_summary(
    as_user, centre, window_staff, centre_admin, django_capture_on_commit_callbacks
):
    ComplaintFactory(centre=centre, owner=window_staff, received_at=MONDAY)
    client = as_user(centre_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/calendar/2027/", _post([("元旦", "2027-01-01", "2027-01-03")], action="save"))
    change = WorkCalendarChange.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/calendar/changes/{change.pk}/"
    summary = client.get(response["Location"]).content.decode()
    assert 'data-testid="moved-total">1<' in summary
    assert "投诉建议答复期限" in summary
    assert WorkCalendarDay.objects.filter(date__year=2027).count() == 3


@pytest.mark.django_db
def test_a_package_year_opens_filled_in_from_the_package(as_user, centre_admin):
    response = as_user(centre_admin).get("/calendar/2026/?from=package")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-02-15"' in html and 'value="2026-02-23"' in html
    assert 'data-date="2026-10-01" data-kind="holiday"' in html


@pytest.mark.django_db
def test_the_year_list_tells_a_package_year_from_an_unpublished_one(as_user, centre_admin):
    html = as_user(centre_admin).get("/calendar/").content.decode()
    assert "内置日历已包含" in html and "未公布，期限暂定" in html
    assert 'href="/calendar/2027/"' in html


@pytest.mark.django_db
def test_the_year_screen_speaks_english(as_user, centre_admin):
    client = as_user(centre_admin)
    response = client.post(
        "/calendar/2027/",
        _post([("元旦", "2027-01-03", "2027-01-01")], action="preview"),
        headers={"accept-language": "en"},
    )
    html = response.content.decode()
    assert "Working calendar 2027" in html
    assert "The end date cannot be before the start date." in html
