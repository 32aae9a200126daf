"""The duty rota of the "could not get it done" window (办不成事反映窗口): how well a week is covered, and
the rota's import from Excel.

A week has ten half-days (Monday to Friday, morning and afternoon). A half-day is covered when a leader
is on duty (a swap for that date wins over the weekly rota) who is still active and not absent that day;
a holiday is neither covered nor a gap. The leaders see the gaps on the rota page and on their home page.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access, metrics
from govservice.exceptions import NotPermitted
from govservice.models import Centre
from govservice.workdays import WorkCalendar
from staff.home_notes import HomeNote
from staff.models import Role, User
from staff.selectors import absent_user_ids, active_staff_with_roles

from .models import DutySlot, DutySwap

HALVES = (DutySlot.Half.MORNING, DutySlot.Half.AFTERNOON)


@dataclass(frozen=True)
class HalfDay:
    day: date
    half: str
    leader: User | None
    is_working_day: bool
    gap: str = ""  # why nobody is on duty ("" when covered or a holiday)
    swapped: bool = False

    @property
    def covered(self) -> bool:
        return self.is_working_day and not self.gap

    @property
    def half_label(self) -> str:
        return str(DutySlot.Half(self.half).label)


@dataclass(frozen=True)
class DutyWeek:
    monday: date
    half_days: list[HalfDay]

    @property
    def working(self) -> int:
        return sum(1 for each in self.half_days if each.is_working_day)

    @property
    def covered(self) -> int:
        return sum(1 for each in self.half_days if each.covered)

    @property
    def gaps(self) -> list[HalfDay]:
        return [each for each in self.half_days if each.is_working_day and each.gap]

    @property
    def days(self) -> list[tuple[date, HalfDay, HalfDay]]:
        """One row per weekday: the date, its morning, its afternoon."""
        return [(self.half_days[i].day, self.half_days[i], self.half_days[i + 1]) for i in range(0, 10, 2)]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def duty_week(*, centre: Centre, monday: date, calendar: WorkCalendar | None = None) -> DutyWeek:
    """The ten half-days of the week starting `monday`, each with its leader or the reason it has none.

    Three queries whatever the week: the rota, the week's swaps, the leaders' absences."""
    calendar = calendar or WorkCalendar.load()
    monday = week_of(monday)
    friday = monday + timedelta(days=4)
    slots = {(s.weekday, s.half): s.leader for s in DutySlot.objects.filter(centre=centre).select_related("leader")}
    swaps = {
        (s.date, s.half): s.leader
        for s in DutySwap.objects.filter(centre=centre, date__range=(monday, friday)).select_related("leader")
    }
    leader_ids = {leader.id for leader in (*slots.values(), *swaps.values())}
    away = absent_user_ids(user_ids=leader_ids, start=monday, end=friday)
    half_days = []
    for offset in range(5):
        day = monday + timedelta(days=offset)
        working = calendar.is_working_day(day)
        for half in HALVES:
            swapped = (day, half) in swaps
            leader = swaps[(day, half)] if swapped else slots.get((offset, half))
            gap = ""
            if leader is None:
                gap = _("无领导值班")
            elif not leader.is_active:
                gap = _("值班领导 %(name)s 已停用") % {"name": leader}
            elif any(start <= day <= end for start, end in away.get(leader.id, [])):
                gap = _("值班领导 %(name)s 缺勤") % {"name": leader}
            half_days.append(
                HalfDay(
                    day=day,
                    half=half,
                    leader=leader,
                    is_working_day=working,
                    gap=gap if working else "",
                    swapped=swapped,
                )
            )
    return DutyWeek(monday=monday, half_days=half_days)


# --- import from Excel -----------------------------------------------------------------------------

ROTA_HEADERS = ("星期", "时段", "值班领导")
# The same columns as an English page names them (the page shows the headers in its own language).
ROTA_HEADERS_EN = ("Weekday", "Half-day", "Leader on duty")


def rota_headers_shown() -> str:
    """The header row in the reader's language, for the form's help and the header error."""
    return _("、").join(str(label) for label in (_("星期"), _("时段"), _("值班领导")))


def _is_header(cells: tuple[str, ...]) -> bool:
    folded = tuple(str(cell).strip().casefold() for cell in cells)
    return folded in {tuple(h.casefold() for h in ROTA_HEADERS), tuple(h.casefold() for h in ROTA_HEADERS_EN)}


MAX_ROTA_ROWS = 200  # ten half-days fit many times over; more is not a rota
MAX_ROTA_BYTES = 1024 * 1024

_WEEKDAYS = {
    "周一": 0,
    "周二": 1,
    "周三": 2,
    "周四": 3,
    "周五": 4,
    "星期一": 0,
    "星期二": 1,
    "星期三": 2,
    "星期四": 3,
    "星期五": 4,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
}
_HALVES = {
    "上午": DutySlot.Half.MORNING,
    "下午": DutySlot.Half.AFTERNOON,
    "am": DutySlot.Half.MORNING,
    "pm": DutySlot.Half.AFTERNOON,
    "morning": DutySlot.Half.MORNING,
    "afternoon": DutySlot.Half.AFTERNOON,
}


class RotaFileError(Exception):
    """The file as a whole cannot be read (not a workbook, too large, too many rows)."""


def read_rota_rows(data: bytes) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(row number, cells as text) for each non-empty row after the header of the first sheet.

    The one place that reads the spreadsheet: small and capped (size, rows), openpyxl in read-only mode;
    it can be swapped for the shared streaming reader (govservice/spreadsheet.py) when that exists."""
    from openpyxl import load_workbook

    if len(data) > MAX_ROTA_BYTES:
        raise RotaFileError(_("文件过大（不超过 1 MB）。"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise RotaFileError(_("无法读取文件，请上传 .xlsx 格式的 Excel 文件。")) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, raw in enumerate(sheet.iter_rows(values_only=True, max_col=len(ROTA_HEADERS)), start=1):
            cells = tuple("" if value is None else str(value).strip() for value in raw)
            if not any(cells):
                continue
            if number > MAX_ROTA_ROWS + 1:
                raise RotaFileError(_("行数过多（不超过 %(n)d 行）。") % {"n": MAX_ROTA_ROWS})
            yield number, cells + ("",) * (len(ROTA_HEADERS) - len(cells))
    finally:
        workbook.close()


@dataclass
class RotaImport:
    errors: list[str] = field(default_factory=list)
    slots: int = 0


def _find_leader(centre: Centre, text: str) -> list[User]:
    leaders = active_staff_with_roles(centre=centre, roles=(Role.LEADER,)).distinct()
    return list(leaders.filter(Q(staff_no=text) | Q(username=text) | Q(name=text))[:2])


@transaction.atomic
def duty_rota_import(*, centre: Centre, actor: User, data: bytes) -> RotaImport:
    """Replace the centre's weekly rota with the workbook's rows, all or nothing.

    Every bad row is reported with its number and what is wrong; one bad row saves nothing."""
    if not access.can_manage_centre(actor, centre.id):
        raise NotPermitted()
    result = RotaImport()
    wanted: dict[tuple[int, str], User] = {}
    try:
        rows = list(read_rota_rows(data))
    except RotaFileError as exc:
        result.errors.append(str(exc))
        return result
    if not rows or not _is_header(rows[0][1]):
        result.errors.append(_("表头不符，第一行应为：%(headers)s。") % {"headers": rota_headers_shown()})
        return result
    for number, (weekday_text, half_text, leader_text) in rows[1:]:
        weekday = _WEEKDAYS.get(weekday_text.lower().removesuffix(".0"))
        half = _HALVES.get(half_text.lower())
        problems = []
        if weekday is None:
            problems.append(_("星期“%(v)s”无效（应为周一至周五）") % {"v": weekday_text})
        if half is None:
            problems.append(_("时段“%(v)s”无效（应为上午或下午）") % {"v": half_text})
        leaders = _find_leader(centre, leader_text) if leader_text else []
        if not leader_text:
            problems.append(_("未填写值班领导"))
        elif len(leaders) != 1:
            problems.append(
                _("“%(v)s”不是本中心唯一的在岗领导（请填工号）") % {"v": leader_text}
                if leaders
                else _("“%(v)s”不是本中心的在岗领导") % {"v": leader_text}
            )
        if weekday is not None and half is not None and (weekday, half) in wanted:
            problems.append(_("该时段已在前面的行中安排"))
        if problems or weekday is None or half is None:
            result.errors.append(_("第 %(row)d 行：%(problems)s。") % {"row": number, "problems": "；".join(problems)})
            continue
        wanted[(weekday, half)] = leaders[0]
    if result.errors:
        return result
    DutySlot.objects.filter(centre=centre).delete()
    DutySlot.objects.bulk_create(
        DutySlot(centre=centre, weekday=weekday, half=half, leader=leader) for (weekday, half), leader in wanted.items()
    )
    result.slots = len(wanted)
    return result


def rota_home_notes(user: User) -> list[HomeNote]:
    """A leader's home page says how this week's duty at the window is covered, gaps first."""
    centre = user.centre if access.is_leader(user) else None
    if centre is None:
        return []
    week = duty_week(centre=centre, monday=timezone.localdate())
    text = _("办不成事反映窗口：本周 %(working)d 个工作半天中 %(covered)d 个有领导值班，%(gaps)d 个无人值班。") % {
        "working": week.working,
        "covered": week.covered,
        "gaps": len(week.gaps),
    }
    ahead = _("今后 14 天无领导值班的工作半天：")
    return [
        HomeNote(text=text, url=reverse("complaints:duty-rota"), link_text=_("值班安排"), warn=bool(week.gaps)),
        HomeNote(text=ahead, warn=bool(metrics.value("rota_gaps_14d", user)), metric="rota_gaps_14d"),
    ]
