"""The ledger as documents: Excel export in the customary layout (the import reads the same layout:
services/imports.py), and a PDF dossier."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.selectors import centre_by_code
from staff.models import User

from .models import Measure, Problem
from .selectors import LedgerProblem

# The customary ledger columns (the order inspections expect), then the problem's number, which the
# import matches rows on (rectification/roundtrip.py reads these headers in Chinese or English).
LEDGER_COLUMNS = (
    "序号",
    "问题类别",
    "问题表现",
    "整改措施",
    "责任单位",
    "责任人",
    "整改时限",
    "整改进展",
    "完成情况/销号情况",
    "问题编号",
)


def ledger_headers() -> list[str]:
    """The headers in the reader's language (the import accepts both)."""
    return [_(column) for column in LEDGER_COLUMNS]


def _measures_text(problem: Problem) -> str:
    return "\n".join(f"{i}. {m.description}" for i, m in enumerate(problem.measures.all(), 1))


def _progress_text(problem: LedgerProblem) -> str:
    lines = [_("总体进度 %(p)d%%") % {"p": round(problem.progress_pct or 0)}]
    for i, measure in enumerate(problem.measures.all(), 1):
        # update_list is the newest-first prefetch of problem_list_with_measures_for, absent otherwise.
        updates = getattr(measure, "update_list", None)
        latest = updates[0] if updates else None
        text = f"{i}. {measure.progress}%"
        if latest:
            text += f" {latest.created_at:%Y-%m-%d} {latest.text}"
        lines.append(text)
    return "\n".join(lines)


def close_out_text(problem: LedgerProblem) -> str:
    status = problem.get_status_display()
    if problem.status == Problem.Status.CLOSED and problem.closed_at:
        text = _("%(s)s（%(d)s，验收人 %(v)s）") % {
            "s": status,
            "d": timezone.localdate(problem.closed_at).isoformat(),
            "v": problem.verified_by.name if problem.verified_by else "",
        }
        if problem.recheck_on:
            text += "；" + _("回头看 %(d)s") % {"d": problem.recheck_on.isoformat()}
        return text
    if problem.overdue_measures:
        return _("%(s)s；%(n)d 项措施逾期") % {"s": status, "n": problem.overdue_measures}
    return str(status)


def departments_text(problem: Problem, measures: list[Measure]) -> str:
    """The problem's responsible department, then the other departments owning its measures."""
    departments = problem.responsible_department.name if problem.responsible_department else ""
    owner_departments = {m.owner_department.name for m in measures if m.owner_department}
    if owner_departments - {departments}:
        departments = "、".join(filter(None, [departments, *sorted(owner_departments - {departments})]))
    return departments


def people_text(problem: Problem, measures: list[Measure]) -> str:
    """The problem's responsible person, then the other owners of its measures."""
    people = [problem.responsible_person.name]
    people += [m.owner.name for m in measures if m.owner.name not in people]
    return "、".join(people)


def ledger_row(number: int, problem: LedgerProblem) -> list[object]:
    """One problem as its ledger row (the import compares a row with the problem as this writes it)."""
    measures = list(problem.measures.all())
    return [
        number,
        problem.get_category_display(),
        f"{problem.title}\n{problem.description}",
        _measures_text(problem),
        departments_text(problem, measures),
        people_text(problem, measures),
        problem.deadline,
        _progress_text(problem),
        close_out_text(problem),
        problem.code,
    ]


def ledger_rows(problems: Iterable[LedgerProblem]) -> list[list[object]]:
    return [ledger_row(number, problem) for number, problem in enumerate(problems, 1)]


# The Excel layout (rectification/exports.py): the sheet's name and the column widths in characters.
LEDGER_SHEET = "整改台账"
LEDGER_WIDTHS = (6, 10, 40, 44, 16, 14, 12, 36, 22, 10)


def ledger_title(*, user: User, centre_code: str = "") -> str:
    """The ledger's title: the user's centre, the centre filtered on, or the whole city."""
    centre = user.centre.name if user.centre and not access.is_city_wide(user) else _("全市")
    if centre_code:
        found = centre_by_code(centre_code)
        centre = found.name if found else centre
    return _("%(c)s窗口作风建设问题整改台账") % {"c": centre}


# --- PDF dossier -----------------------------------------------------------------------------

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def cjk_font_path() -> Path | None:
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


class NoCJKFont(Exception):
    pass


def ledger_pdf(problems: Iterable[LedgerProblem], *, title: str, detailed: bool) -> bytes:
    """A dossier for inspections: the ledger, and for each problem its measures, progress and history."""
    from fpdf import FPDF

    font = cjk_font_path()
    if font is None:
        raise NoCJKFont
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    # Noto CJK .ttc: collection index 2 is Simplified Chinese (SC) in Debian's build.
    collection_font_number = 2 if font.suffix == ".ttc" and "Noto" in font.name else 0  # 0: fpdf's default
    pdf.add_font("cjk", "", str(font), collection_font_number=collection_font_number)
    pdf.set_font("cjk", size=10)
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font_size(16)
    pdf.multi_cell(0, 9, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font_size(9)
    generated = f"{timezone.localtime():%Y-%m-%d %H:%M}"
    pdf.multi_cell(0, 6, _("生成时间：%(t)s") % {"t": generated}, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    def line(label: str, value: object) -> None:
        pdf.set_font_size(10)
        pdf.multi_cell(0, 6, f"{label}：{value}", new_x="LMARGIN", new_y="NEXT")

    for problem in problems:
        pdf.set_font_size(12)
        pdf.set_fill_color(230, 236, 245)
        pdf.multi_cell(0, 8, f"{problem.code}  {problem.title}", fill=True, new_x="LMARGIN", new_y="NEXT")
        line(_("问题类别"), problem.get_category_display())
        line(_("问题表现"), problem.description)
        line(_("问题来源"), problem.get_source_display())
        line(
            _("责任领导 / 单位 / 责任人"),
            " / ".join(
                [
                    problem.responsible_leader.name,
                    problem.responsible_department.name if problem.responsible_department else "—",
                    problem.responsible_person.name,
                ]
            ),
        )
        line(_("整改进度"), f"{round(problem.progress_pct or 0)}%")
        line(_("完成情况/销号情况"), close_out_text(problem))
        for i, measure in enumerate(problem.measures.all(), 1):
            pdf.set_font_size(10)
            pdf.multi_cell(
                0,
                6,
                f"  {i}. {measure.description}（{measure.owner.name}，{_('时限')} {measure.deadline}，"
                f"{_('权重')} {measure.weight}，{measure.progress}%）",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            if detailed:
                for update in getattr(measure, "update_list", []):
                    pdf.set_font_size(9)
                    pdf.multi_cell(
                        0,
                        5,
                        f"      {update.created_at:%Y-%m-%d} {update.percentage}% {update.text}",
                        new_x="LMARGIN",
                        new_y="NEXT",
                    )
        if detailed:
            pdf.set_font_size(10)
            pdf.multi_cell(0, 6, _("记录"), new_x="LMARGIN", new_y="NEXT")
            for event in getattr(problem, "event_list", []):
                pdf.set_font_size(8)
                who = event.actor.name if event.actor else _("系统")
                pdf.multi_cell(
                    0,
                    4.5,
                    f"  {timezone.localtime(event.created_at):%Y-%m-%d %H:%M} {who} {event.get_kind_display()} {event.note}",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
        pdf.ln(3)
    return bytes(pdf.output())
