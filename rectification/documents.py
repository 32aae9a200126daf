"""The ledger as documents: Excel export/import in the customary layout, and a PDF dossier."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exceptions import ValidationFailed
from govservice.models import Centre, Department
from staff.models import User

from .models import Problem, ProblemSource
from .selectors import LedgerProblem

# The customary ledger columns (the order inspections expect).
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
)


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


def ledger_rows(problems: Iterable[LedgerProblem]) -> list[list[object]]:
    rows = []
    for number, problem in enumerate(problems, 1):
        departments = problem.responsible_department.name if problem.responsible_department else ""
        owner_departments = {m.owner_department.name for m in problem.measures.all() if m.owner_department}
        if owner_departments - {departments}:
            departments = "、".join(filter(None, [departments, *sorted(owner_departments - {departments})]))
        people = [problem.responsible_person.name]
        people += [m.owner.name for m in problem.measures.all() if m.owner.name not in people]
        rows.append(
            [
                number,
                problem.get_category_display(),
                f"{problem.code} {problem.title}\n{problem.description}",
                _measures_text(problem),
                departments,
                "、".join(people),
                problem.deadline,
                _progress_text(problem),
                close_out_text(problem),
            ]
        )
    return rows


def ledger_xlsx(problems: Iterable[LedgerProblem], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "整改台账"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(LEDGER_COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(LEDGER_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in ledger_rows(problems):
        sheet.append(row)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        row[6].number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFGHI", (6, 10, 40, 44, 16, 14, 12, 36, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- import ----------------------------------------------------------------------------------


@dataclass
class ImportRow:
    row: int
    category: str
    title: str
    description: str
    measures: list[str]
    department: Department | None
    person: User
    deadline: date


@dataclass
class ImportResult:
    created: list[Problem] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


# Chinese labels are matched as written in the file, whatever the UI language.
CATEGORY_BY_LABEL = {"服务态度": "attitude", "业务能力": "ability", "流程效率": "efficiency", "纪律执行": "discipline"}


def _category(value: str) -> str | None:
    value = value.strip()
    if value in ProblemCategory.values:
        return value
    return CATEGORY_BY_LABEL.get(value)


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def ledger_import(*, data: bytes, centre: Centre, actor: User) -> ImportResult:
    """Validate every row first; create problems only if no row has an error (nothing half-imported)."""
    from . import services

    result = ImportResult()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise ValidationFailed(_("无法读取该 Excel 文件。"), field="file") from exc
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(
        (
            i
            for i, row in enumerate(rows[:5])
            if row and [str(c or "").strip() for c in row[:3]] == list(LEDGER_COLUMNS[:3])
        ),
        None,
    )
    if header_at is None:
        raise ValidationFailed(_("未找到表头（序号、问题类别、问题表现……）。"), field="file")
    people = {u.name: u for u in User.objects.filter(centre=centre, is_active=True)}
    people.update({u.username: u for u in people.values()})
    departments = {d.name: d for d in Department.objects.filter(centre=centre)}
    parsed: list[ImportRow] = []
    for index, raw in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = [("" if c is None else c) for c in (list(raw) + [None] * 9)[:9]]
        if not any(str(c).strip() for c in cells):
            continue
        errors = []
        category = _category(str(cells[1]))
        if category is None:
            errors.append(_("问题类别“%(v)s”无效") % {"v": cells[1]})
        text = str(cells[2]).strip()
        if not text:
            errors.append(_("问题表现不能为空"))
        measures = [line.strip().lstrip("0123456789.、) ").strip() for line in str(cells[3]).splitlines()]
        measures = [m for m in measures if m]
        if not measures:
            errors.append(_("整改措施不能为空"))
        dept_name = str(cells[4]).strip().split("、")[0]
        department = departments.get(dept_name) if dept_name else None
        if dept_name and department is None:
            errors.append(_("责任单位“%(v)s”不存在") % {"v": dept_name})
        person_name = str(cells[5]).strip().split("、")[0]
        person = people.get(person_name)
        if person is None:
            errors.append(_("责任人“%(v)s”不在本中心") % {"v": person_name})
        deadline = _date(cells[6])
        if deadline is None:
            errors.append(_("整改时限“%(v)s”不是日期") % {"v": cells[6]})
        if errors:
            result.errors.append((index, "；".join(errors)))
            continue
        # Each of these being None added an error above, so a row without errors has all three.
        assert category is not None and person is not None and deadline is not None  # noqa: S101 - see above
        title, _sep, description = text.partition("\n")
        parsed.append(
            ImportRow(
                index, category, title[:200], description.strip() or title, measures, department, person, deadline
            )
        )
    if result.errors:
        return result
    if not parsed:
        raise ValidationFailed(_("文件中没有台账数据。"), field="file")
    leader = actor if access.is_leader(actor) else None
    with transaction.atomic():
        for row in parsed:
            problem = services.problem_create(
                actor=actor,
                centre=centre,
                category=row.category,
                title=row.title,
                description=row.description,
                source=ProblemSource.SELF_INSPECTION,
                found_on=timezone.localdate(),
                responsible_leader=leader or row.person,
                responsible_person=row.person,
                responsible_department=row.department,
            )
            for text in row.measures:
                services.measure_add(
                    problem_id=problem.id,
                    actor=actor,
                    description=text,
                    owner=row.person,
                    owner_department=row.department,
                    deadline=row.deadline,
                )
            result.created.append(problem)
    return result


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
