"""The HR export of a month: one row per person; the reward follows the star outcome (ties alike) and a
person without data has no score, only "无数据"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .models import ScoringRun, StaffMonthScore

if TYPE_CHECKING:
    from openpyxl import Workbook


def _tie_note(score: StaffMonthScore, tied: dict[object, int]) -> str:
    others = tied.get(score.total, 1) - 1
    if not score.ranked or others <= 0:
        return ""
    return _("与另外 %(n)d 人同分并列") % {"n": others}


def hr_workbook(run: ScoringRun, scores: list[StaffMonthScore]) -> Workbook:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook always has its sheet; this tells mypy
        sheet = book.create_sheet()
    sheet.title = f"{run.month:%Y-%m}"
    sheet.append(
        [
            _("月份"),
            _("工号"),
            _("姓名"),
            _("窗口"),
            _("总分"),
            _("名次"),
            _("参与排名"),
            _("服务之星"),
            _("绩效奖励"),
            _("末位"),
            _("状态"),
            _("说明"),
        ]
    )
    tied: dict[object, int] = {}
    for score in scores:
        if score.ranked and score.total is not None:
            tied[score.total] = tied.get(score.total, 0) + 1
    for score in scores:
        sheet.append(
            [
                f"{run.month:%Y-%m}",
                score.staff.staff_no,
                score.staff.name,
                str(score.window) if score.window else "",
                float(score.total) if score.total is not None else _("无数据"),
                score.rank,
                _("是") if score.ranked else score.not_ranked_reason,
                _("是") if score.is_star else "",
                _("是") if score.is_star else _("否"),
                _("是") if score.is_bottom else "",
                run.get_status_display(),
                _tie_note(score, tied),
            ]
        )
    return book
