"""The duty rota of the "could not get it done" window: the ten half-days of a week with and without a leader
on duty, and the rota's import from Excel with row-level errors. Before this, the default rota covered 2 of
10 half-days a week and nothing said so."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from complaints import escalations as esc
from complaints import rota
from complaints.models import DutySlot
from govservice.models import WorkCalendarDay
from staff import services as staff_services

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 2)


def _gaps(week: rota.DutyWeek) -> list[tuple[date, str]]:
    return [(h.day, h.half) for h in week.gaps]


def test_the_default_rota_covers_two_of_ten_half_days_and_says_so(as_user, centre, leader, second_leader):
    esc.duty_rota_seed(centre=centre)  # Tuesday and Thursday mornings
    week = rota.duty_week(centre=centre, monday=MONDAY)
    assert (week.working, week.covered, len(week.gaps)) == (10, 2, 8)
    assert (date(2026, 3, 3), "am") not in _gaps(week) and (date(2026, 3, 3), "pm") in _gaps(week)
    page = as_user(leader).get("/feedback/escalations/rota/?week=2026-03-04").content.decode()
    assert "本周 10 个工作半天中 2 个有领导值班，8 个无人值班。" in page


def test_a_swap_fills_a_gap_and_a_holiday_is_no_gap(centre, leader, second_leader):
    esc.duty_rota_seed(centre=centre)
    esc.duty_swap(centre=centre, on=date(2026, 3, 4), half="pm", leader=second_leader, actor=leader)
    WorkCalendarDay.objects.create(date=date(2026, 3, 6), is_workday=False, name="假日")
    cache.clear()
    week = rota.duty_week(centre=centre, monday=date(2026, 3, 5))  # any day of the week finds its Monday
    assert week.monday == MONDAY
    assert (week.working, week.covered, len(week.gaps)) == (8, 3, 5)
    assert (date(2026, 3, 6), "am") not in _gaps(week)


def test_an_absent_or_deactivated_leader_leaves_a_gap(centre, leader, second_leader, other_window_staff):
    esc.duty_rota_seed(centre=centre)
    staff_services.absence_record(
        person=leader, starts_on=date(2026, 3, 3), ends_on=date(2026, 3, 3), reason="外出开会", actor=second_leader
    )
    week = rota.duty_week(centre=centre, monday=MONDAY)
    tuesday = next(h for h in week.half_days if h.day == date(2026, 3, 3) and h.half == "am")
    assert not tuesday.covered and leader.name in tuesday.gap and "缺勤" in tuesday.gap
    second_leader.is_active = False
    second_leader.save()
    thursday = next(h for h in rota.duty_week(centre=centre, monday=MONDAY).half_days if h.day == date(2026, 3, 5))
    assert not thursday.covered and "停用" in thursday.gap


def test_the_leaders_home_page_tells_the_weeks_gaps(as_user, centre, leader, window_staff):
    esc.duty_rota_seed(centre=centre)
    page = as_user(leader).get("/").content.decode()
    assert 'data-testid="home-note"' in page and "个无人值班" in page
    assert "个无人值班" not in as_user(window_staff).get("/").content.decode()


def _workbook(*rows: tuple[object, ...]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


HEADER = ("星期", "时段", "值班领导")


def test_a_rota_imports_from_excel_and_replaces_the_weekly_rota(centre, leader, second_leader):
    esc.duty_rota_seed(centre=centre)
    data = _workbook(HEADER, ("周一", "上午", "leader"), ("周三", "下午", "孙丽"), (5, "am", "leader"))
    result = rota.duty_rota_import(centre=centre, actor=leader, data=data)
    assert result.errors == [] and result.slots == 3
    slots = {(s.weekday, s.half, s.leader_id) for s in DutySlot.objects.filter(centre=centre)}
    assert slots == {(0, "am", leader.id), (2, "pm", second_leader.id), (4, "am", leader.id)}


def test_an_english_header_row_imports_too_and_each_page_names_the_headers_in_its_language(
    centre, leader, second_leader
):
    data = _workbook(("Weekday", "Half-day", "Leader on duty"), ("mon", "am", "leader"))
    result = rota.duty_rota_import(centre=centre, actor=leader, data=data)
    assert result.errors == [] and result.slots == 1
    from django.utils import translation

    from complaints.forms import RotaImportForm

    with translation.override("en"):
        help_text = str(RotaImportForm().fields["file"].help_text)
    assert "Weekday, Half-day, Leader on duty" in help_text and "星期" not in help_text
    with translation.override("zh-hans"):
        assert "星期、时段、值班领导" in str(RotaImportForm().fields["file"].help_text)


def test_a_rota_with_bad_rows_names_each_row_and_saves_nothing(centre, leader, second_leader, window_staff):
    esc.duty_rota_seed(centre=centre)
    before = set(DutySlot.objects.values_list("weekday", "half", "leader_id"))
    data = _workbook(
        HEADER,
        ("周一", "上午", "leader"),
        ("周六", "上午", "leader"),  # row 3: no Saturday duty
        ("周二", "晚上", "leader"),  # row 4: no such half-day
        ("周三", "上午", "staff"),  # row 5: a window member, not a leader
        ("周一", "上午", "leader3"),  # row 6: Monday morning again
        ("周四", "下午", ""),  # row 7: nobody
    )
    result = rota.duty_rota_import(centre=centre, actor=leader, data=data)
    assert [error.split("：")[0] for error in result.errors] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行", "第 7 行"]
    assert "周六" in result.errors[0] and "晚上" in result.errors[1] and "staff" in result.errors[2]
    assert set(DutySlot.objects.values_list("weekday", "half", "leader_id")) == before


def test_a_file_that_is_not_a_workbook_or_has_another_header_is_refused(centre, leader):
    assert rota.duty_rota_import(centre=centre, actor=leader, data=b"not excel").errors == [
        "无法读取文件，请上传 .xlsx 格式的 Excel 文件。"
    ]
    wrong = rota.duty_rota_import(centre=centre, actor=leader, data=_workbook(("日期", "领导")))
    assert wrong.errors and "表头不符" in wrong.errors[0]


def test_the_rota_page_shows_import_errors_next_to_the_form(as_user, centre, leader):
    upload = SimpleUploadedFile("rota.xlsx", _workbook(HEADER, ("周八", "上午", "leader")))
    response = as_user(leader).post("/feedback/escalations/rota/", {"form": "import", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page and "第 2 行" in page
    assert not DutySlot.objects.exists()
