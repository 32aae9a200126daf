"""The ledger's Excel round trip: read a ledger file (our own export, or the customary layout) and compare
every row with the ledger, cell by cell. What differs becomes the plan: a list of changes (row, column,
old → new) that the uploader sees as a preview and confirms; services/roundtrip_apply.py applies it.

Rows are matched on 问题编号 (the last column of the export). A row without a number, or with a number the
centre does not know, is a new problem (it gets a fresh number). A cell counts only for what it means:
  问题类别 the category; 问题表现 title (first line) and description; 整改措施 the measures, one a line, in
  the export's order (a line edited: that measure; lines added: new measures; a line removed: refused);
  责任单位 / 责任人 the first name (the problem's; the others listed are the measures' owners, shown for
  reading); 整改时限 the latest deadline (moves the measures due then); 整改进展 "N. P% note" lines, a
  changed line appends a progress report to measure N (the 总体进度 line is computed); 完成情况/销号情况
  the status it starts with, changed only through the moves an import may make (IMPORT_TRANSITIONS).
Importing the export unchanged therefore finds 0 changes. Headers are matched in Chinese or English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.categories import ProblemCategory
from govservice.masking import scrub
from govservice.models import Department
from staff.models import User

from .documents import departments_text, people_text
from .models import Measure, Problem

S = Problem.Status

# Column key → the customary header (Chinese; English through gettext). The order of the export.
COLUMN_HEADERS: dict[str, str] = {
    "no": gettext_noop("序号"),
    "category": gettext_noop("问题类别"),
    "problem": gettext_noop("问题表现"),
    "measures": gettext_noop("整改措施"),
    "department": gettext_noop("责任单位"),
    "person": gettext_noop("责任人"),
    "deadline": gettext_noop("整改时限"),
    "progress": gettext_noop("整改进展"),
    "status": gettext_noop("完成情况/销号情况"),
    "code": gettext_noop("问题编号"),
}
# Status moves an import may make: the work's own steps. Verifying, sending back and re-opening are a
# leader's decisions, taken on the problem's page.
IMPORT_TRANSITIONS = frozenset({(S.OPEN, S.IN_RECTIFICATION), (S.IN_RECTIFICATION, S.CLOSE_OUT_APPLIED)})

_NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.、．)）]\s*(.*)$", re.S)
_PROGRESS = re.compile(r"^\s*(\d{1,3})\s*[.、．)）]\s*(\d{1,3})\s*[%％]\s*(.*)$", re.S)
_LEADING_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\s*")


class RowError(Exception):
    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(message)
        self.row, self.column, self.message = row, column, message

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


def header_aliases() -> dict[str, str]:
    """Every accepted header (Chinese, English, the key itself; case and spaces ignored) → column key."""
    aliases: dict[str, str] = {}
    for key, zh in COLUMN_HEADERS.items():
        with translation.override("en"):
            en = _(zh)
        for name in (zh, en, key):
            aliases[_header_key(name)] = key
    return aliases


def _header_key(text: object) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


def find_header(rows: list[tuple[int, tuple[Any, ...]]]) -> tuple[int, dict[int, str], dict[str, str]] | None:
    """(index of the header row, column position → key, key → header as written) in the first rows."""
    aliases = header_aliases()
    for index, (_number, values) in enumerate(rows[:5]):
        positions = {i: aliases[_header_key(v)] for i, v in enumerate(values) if _header_key(v) in aliases}
        if "problem" in positions.values() and len(positions) >= 3:
            written = {key: str(values[i]).strip() for i, key in positions.items()}
            return index, positions, written
    return None


# --- cells as text ---------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as the text a person reads: dates as 2025-04-30, whole numbers without ".0", lines trimmed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    lines = str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip()


def parse_date(text: str) -> date | None:
    text = text.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        return None


def measure_lines(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        numbered = _NUMBERED.match(line)
        line = (numbered.group(2) if numbered else line).strip()
        if line:
            out.append(line)
    return out


def progress_lines(text: str) -> dict[int, tuple[int, str]]:
    """Measure number → (percentage, note) of every "N. P% note" line; other lines (总体进度) are ignored."""
    out = {}
    for line in text.split("\n"):
        found = _PROGRESS.match(line)
        if found:
            out[int(found.group(1))] = (int(found.group(2)), _LEADING_DATE.sub("", found.group(3).strip()))
    return out


def category_of(text: str) -> str | None:
    for value, label in ProblemCategory.choices:
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        if text.strip().lower() in {value, chinese.lower(), english.lower()}:
            return value
    return None


def status_of(text: str) -> str | None:
    """The status a 完成情况/销号情况 cell starts with (Chinese or English label, or its value)."""
    text = text.strip().lower()
    candidates = []
    for value, label in S.choices:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                candidates.append((str(label).lower(), value))
        candidates.append((value, value))
    for name, value in sorted(candidates, key=lambda c: -len(c[0])):
        if text.startswith(name):
            return value
    return None


def status_label(value: str) -> str:
    return str(S(value).label) if value in S.values else value


def category_label(value: str) -> str:
    return str(ProblemCategory(value).label) if value in ProblemCategory.values else value


# --- the ledger's current state, as the export writes it ---------------------------------------------


@dataclass
class Current:
    """One problem as its exported row means it (the values the import compares with)."""

    problem: Problem
    measures: list[Measure]
    latest_notes: dict[int, str]  # measure id → its latest progress note

    @classmethod
    def load(cls, problem: Problem) -> Current:
        measures = list(problem.measures.select_related("owner", "owner_department").order_by("deadline", "id"))
        notes: dict[int, str] = {}
        for measure in measures:
            latest = measure.updates.order_by("-created_at", "-id").values_list("text", flat=True).first()
            notes[measure.id] = latest or ""
        return cls(problem, measures, notes)

    def value(self, key: str) -> Any:
        p = self.problem
        if key == "category":
            return p.category
        if key == "problem":
            return f"{p.title}\n{p.description}".strip()
        if key == "measures":
            return [m.description for m in self.measures]
        if key == "department":
            return p.responsible_department_id
        if key == "person":
            return p.responsible_person_id
        if key == "deadline":
            return max((m.deadline for m in self.measures), default=None)
        if key == "status":
            return p.status
        raise KeyError(key)

    def progress(self, number: int) -> tuple[int, str] | None:
        """Measure `number`'s percentage and latest note, as one exported line can show it."""
        if not 1 <= number <= len(self.measures):
            return None
        measure = self.measures[number - 1]
        return measure.progress, cell_text(self.latest_notes[measure.id]).split("\n")[0]

    def exported(self, key: str) -> str:
        """The cell as the export writes it (department and person cells also list the measures' owners)."""
        if key == "department":
            return cell_text(departments_text(self.problem, self.measures))
        return cell_text(people_text(self.problem, self.measures))


# --- the plan ----------------------------------------------------------------------------------------


@dataclass
class Change:
    key: str
    column: str  # the header as the file writes it
    old: str  # shown to people
    new: str
    value: Any  # what the apply step sets (JSON)
    baseline: Any  # the ledger's value when the preview was made (JSON): the apply step checks it

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "column": self.column,
            "old": scrub(self.old),
            "new": scrub(self.new),
            "value": self.value,
            "baseline": self.baseline,
        }


@dataclass
class RowPlan:
    row: int
    problem_id: int | None  # None: a new problem
    code: str
    changes: list[Change] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "problem_id": self.problem_id,
            "code": self.code,
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass
class Lookup:
    people: dict[str, User]
    departments: dict[str, Department]

    def person(self, text: str) -> User | None:
        return self.people.get(text.split("、")[0].strip()) if text.strip() else None

    def department(self, text: str) -> Department | None:
        return self.departments.get(text.split("、")[0].strip()) if text.strip() else None


def _numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _progress_text(items: list[tuple[int, int, str]]) -> str:
    return "\n".join(f"{n}. {pct}% {note}".rstrip() for n, pct, note in items)


class _Row:
    """One data row being compared: collects its changes and every error in it (all at once)."""

    def __init__(self, number: int, cells: dict[str, str], written: dict[str, str]) -> None:
        self.number, self.cells, self.written = number, cells, written
        self.errors: list[RowError] = []
        self.changes: list[Change] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, self.written.get(key, _(COLUMN_HEADERS[key])), message))

    def change(self, key: str, old: str, new: str, value: Any, baseline: Any) -> None:
        self.changes.append(Change(key, self.written.get(key, _(COLUMN_HEADERS[key])), old, new, value, baseline))

    def has(self, key: str) -> bool:
        return key in self.cells


def _title_and_description(text: str, code: str) -> tuple[str, str]:
    first, _sep, rest = text.partition("\n")
    if code and first.startswith(f"{code} "):
        first = first[len(code) + 1 :].strip()  # older exports glued the number to the title
    return first[:200], rest.strip() or first


def compare_row(row: _Row, current: Current, lookup: Lookup) -> None:
    """The changes of one row against its problem's current state (row.changes), or row.errors."""
    cells, code = row.cells, current.problem.code
    if row.has("category"):
        category = category_of(cells["category"])
        if category is None:
            row.error("category", _("问题类别“%(v)s”无效") % {"v": cells["category"]})
        elif category != current.value("category"):
            old = current.value("category")
            row.change("category", category_label(old), category_label(category), category, old)
    if row.has("problem"):
        if not cells["problem"]:
            row.error("problem", _("问题表现不能为空"))
        else:
            title, description = _title_and_description(cells["problem"], code)
            new, old = f"{title}\n{description}", cell_text(current.value("problem"))
            if new != old:
                p = current.problem
                row.change("problem", old, new, [title, description], [p.title, p.description])
    measures = current.value("measures")
    if row.has("measures"):
        lines = measure_lines(cells["measures"])
        if lines == measure_lines(cell_text(_numbered(measures))):
            pass  # as exported (a measure written over several lines reads back as several)
        elif len(lines) < len(measures):
            row.error(
                "measures",
                _("不能通过导入删除整改措施（文件中 %(n)d 项，台账中 %(m)d 项）")
                % {"n": len(lines), "m": len(measures)},
            )
        elif lines != measures:
            row.change("measures", _numbered(measures), _numbered(lines), lines, measures)
            measures = lines
    for key in ("department", "person"):
        if row.has(key):
            _compare_person_or_department(row, key, current, lookup)
    if row.has("deadline"):
        _compare_deadline(row, current)
    if row.has("progress"):
        _compare_progress(row, current, len(measures))
    if row.has("status") and cells["status"]:
        status = status_of(cells["status"])
        old_status = current.value("status")
        if status is None:
            row.error("status", _("无法识别状态“%(v)s”") % {"v": cells["status"][:20]})
        elif status != old_status:
            if (old_status, status) not in IMPORT_TRANSITIONS:
                row.error(
                    "status",
                    _("状态不能由“%(a)s”改为“%(b)s”：验收销号、退回整改和重新打开须由领导在问题页面办理。")
                    % {"a": status_label(old_status), "b": status_label(status)},
                )
            else:
                row.change("status", status_label(old_status), status_label(status), status, old_status)


def _compare_person_or_department(row: _Row, key: str, current: Current, lookup: Lookup) -> None:
    text = row.cells[key]
    if text == current.exported(key):
        return
    p = current.problem
    if key == "person":
        found: User | Department | None = lookup.person(text)
        if found is None:
            row.error(key, _("责任人“%(v)s”不在本中心") % {"v": text.split("、")[0]} if text else _("责任人不能为空"))
            return
        old_obj: User | Department | None = p.responsible_person
    else:
        found = lookup.department(text)
        if text and found is None:
            row.error(key, _("责任单位“%(v)s”不存在") % {"v": text.split("、")[0]})
            return
        old_obj = p.responsible_department
    old_id, new_id = (old_obj.pk if old_obj else None), (found.pk if found else None)
    if old_id != new_id:
        row.change(key, _name(old_obj), _name(found), new_id, old_id)


def _name(obj: User | Department | None) -> str:
    return "" if obj is None else str(getattr(obj, "name", "") or obj)


def _compare_deadline(row: _Row, current: Current) -> None:
    text, old = row.cells["deadline"], current.value("deadline")
    if not text:
        if old is not None:
            row.error("deadline", _("整改时限不能为空"))
        return
    deadline = parse_date(text)
    if deadline is None:
        row.error("deadline", _("整改时限“%(v)s”不是日期") % {"v": text})
    elif deadline != old:
        row.change(
            "deadline",
            old.isoformat() if old else "",
            deadline.isoformat(),
            deadline.isoformat(),
            old.isoformat() if old else None,
        )


def _compare_progress(row: _Row, current: Current, measure_count: int) -> None:
    old_items, new_items = [], []
    for number, (pct, note) in sorted(progress_lines(row.cells["progress"]).items()):
        if not 1 <= number <= measure_count:
            row.error("progress", _("整改进展第 %(n)d 项没有对应的整改措施") % {"n": number})
            continue
        if pct > 100:
            row.error("progress", _("整改进展第 %(n)d 项的进度超过 100%%") % {"n": number})
            continue
        old_pct, old_note = current.progress(number) or (0, "")
        if pct != old_pct or (note and note != old_note):
            old_items.append((number, old_pct, old_note))
            new_items.append((number, pct, note))
    if new_items:
        row.change(
            "progress",
            _progress_text(old_items),
            _progress_text(new_items),
            [list(item) for item in new_items],
            [list(item) for item in old_items],
        )


def new_row(row: _Row, lookup: Lookup) -> None:
    """A row for a problem the centre does not have yet: every cell it needs, checked."""
    cells = row.cells
    category = category_of(cells.get("category", ""))
    if category is None:
        row.error("category", _("问题类别“%(v)s”无效") % {"v": cells.get("category", "")})
    if not cells.get("problem"):
        row.error("problem", _("问题表现不能为空"))
    measures = measure_lines(cells.get("measures", ""))
    person = lookup.person(cells.get("person", ""))
    if person is None:
        row.error("person", _("责任人“%(v)s”不在本中心") % {"v": cells.get("person", "").split("、")[0]})
    department = lookup.department(cells.get("department", ""))
    if cells.get("department") and department is None:
        row.error("department", _("责任单位“%(v)s”不存在") % {"v": cells["department"].split("、")[0]})
    deadline = parse_date(cells.get("deadline", "")) if cells.get("deadline") else None
    if cells.get("deadline") and deadline is None:
        row.error("deadline", _("整改时限“%(v)s”不是日期") % {"v": cells["deadline"]})
    elif measures and deadline is None:
        row.error("deadline", _("整改时限不能为空"))
    status = status_of(cells["status"]) if cells.get("status") else S.OPEN
    if status not in (S.OPEN, S.IN_RECTIFICATION):
        row.error("status", _("新登记的问题只能是“待整改”或“整改中”"))
    elif not measures and status != S.OPEN:
        row.error("measures", _("整改措施不能为空（待整改的问题可以暂不填写）"))
    if row.errors or category is None or person is None:
        return
    title, description = _title_and_description(cells["problem"], "")
    row.change("category", "", category_label(category), category, None)
    row.change("problem", "", f"{title}\n{description}", [title, description], None)
    if measures:
        row.change("measures", "", _numbered(measures), measures, None)
    if department is not None:
        row.change("department", "", department.name, department.pk, None)
    row.change("person", "", person.name, person.pk, None)
    if deadline is not None:
        row.change("deadline", "", deadline.isoformat(), deadline.isoformat(), None)
    if status is not None and status != S.OPEN:
        row.change("status", "", status_label(status), status, None)


def plan_rows(
    rows: list[tuple[int, tuple[Any, ...]]],
    positions: dict[int, str],
    written: dict[str, str],
    lookup: Lookup,
    *,
    centre_id: int,
) -> tuple[list[RowPlan], list[RowError]]:
    """Compare every data row with the ledger: (a plan per row that changes something, every error)."""
    keys = set(positions.values())
    parsed = []
    for number, values in rows:
        cells = {key: cell_text(values[i] if i < len(values) else None) for i, key in positions.items()}
        parsed.append((number, cells))
    codes = {cells.get("code", "") for _n, cells in parsed} - {""}
    problems = {
        p.code: p
        for p in Problem.objects.filter(centre_id=centre_id, code__in=codes).select_related(
            "responsible_person", "responsible_department"
        )
    }
    plans, errors, seen = [], [], set()
    for number, cells in parsed:
        row = _Row(number, {k: v for k, v in cells.items() if k in keys}, written)
        code = cells.get("code", "")
        if code and code in seen:
            row.error("code", _("问题编号 %(code)s 在文件中重复") % {"code": code})
        seen.add(code)
        problem = problems.get(code) if code else None
        if problem is not None:
            compare_row(row, Current.load(problem), lookup)
        else:
            new_row(row, lookup)
        errors.extend(row.errors)
        if not row.errors and row.changes:
            plans.append(RowPlan(number, problem.pk if problem else None, problem.code if problem else "", row.changes))
    return plans, errors
