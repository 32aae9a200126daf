"""The HR export of a month, made in the background (govservice/exports): one row per person; the reward
follows the star outcome (ties alike) and a person without data has no score, only "无数据".

The month and centre are the month page's (`month`, `centre`); a manager exports only a centre they
manage (selectors.managed_centre). Ties are counted by one aggregate query first, so the rows stream.
The file holds names and staff numbers, no phone or ID number: there is nothing to reveal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govservice import access
from govservice.exceptions import ValidationFailed
from govservice.exports import ExportKind, Rows, register
from govservice.selectors import centre_by_code
from staff.models import User

from . import selectors as sel
from .models import ScoringRun, StaffMonthScore

CHUNK = 2000


def _tie_note(score: StaffMonthScore, tied: Mapping[Any, int]) -> str:
    others = tied.get(score.total, 1) - 1
    if not score.ranked or others <= 0:
        return ""
    return _("与另外 %(n)d 人同分并列") % {"n": others}


def score_headers() -> list[str]:
    return [
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


def score_row(run: ScoringRun, score: StaffMonthScore, tied: Mapping[Any, int]) -> list[object]:
    return [
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


def _run_for(user: User, params: Mapping[str, str]) -> ScoringRun:
    try:
        centre = sel.managed_centre(user=user, code=params.get("centre") or None)
        run = sel.run_get_for(user=user, centre=centre, month=sel.parse_month(params.get("month", "")))
    except Http404:
        run = None
    if run is None:
        raise ValidationFailed(_("没有找到该月的评分。"))
    return run


def _rows(user: User, params: Mapping[str, str], reveal: bool) -> Rows:
    run = _run_for(user, params)
    scores = sel.month_scores(run)
    tied = dict(
        scores.filter(ranked=True, total__isnull=False)
        .order_by()
        .values_list("total")
        .annotate(n=Count("id"))
        .values_list("total", "n")
    )

    def stream() -> Iterator[Sequence[Any]]:
        for score in scores.iterator(chunk_size=CHUNK):
            yield score_row(run, score, tied)

    return Rows(headers=score_headers(), count=scores.count(), rows=stream(), sheet_name=f"{run.month:%Y-%m}")


def _title(params: Mapping[str, str]) -> str:
    centre = centre_by_code(params["centre"]) if params.get("centre") else None
    parts = [_("服务之星人事表"), centre.name if centre else "", params.get("month", "")]
    return " · ".join(part for part in parts if part)


def register_exports() -> None:
    register(
        ExportKind(
            name="scores",
            label=gettext_lazy("服务之星人事表"),
            allowed=access.has_management_role,
            rows=_rows,
            title=_title,
        )
    )
