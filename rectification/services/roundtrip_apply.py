"""Apply a ledger import's plan (rectification/roundtrip.py) through the ledger's own services.

Every change goes through the service that owns it (problem_update, measure_update, measure_add,
progress_update_add, problem_transition), so the same rules, history rows and notices apply as on the
screens. The whole plan is one transaction: any error rolls everything back. Before a row is applied the
ledger is compared with the values the preview showed: a problem changed since then is refused (the
uploader would otherwise confirm changes they never saw).

The preview runs the same code in a transaction that is always rolled back (`dry_run`), one savepoint per
row, so that every row's error is found at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import DomainError
from govservice.models import Centre, Department
from govservice.selectors import departments_of
from staff.models import User
from staff.selectors import active_staff_of

from ..models import Problem, ProblemSource
from ..roundtrip import COLUMN_HEADERS, Current, RowError
from .measures import measure_add, measure_update, progress_update_add
from .problems import problem_create, problem_transition, problem_update

# problem_update's fields → the column that sets them.
_FIELD_COLUMN = {
    "category": "category",
    "title": "problem",
    "description": "problem",
    "responsible_department": "department",
    "responsible_person": "person",
}


@dataclass
class Applied:
    created: list[str] = field(default_factory=list)  # the new problems' numbers
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


class _DryRun(Exception):
    """Raised to roll the preview's transaction back."""


def apply_plan(plan: list[dict[str, Any]], *, centre: Centre, actor: User, dry_run: bool = False) -> Applied:
    """Apply every row or none. `dry_run`: find every row's error, change nothing."""
    result = Applied()
    try:
        with transaction.atomic():
            for entry in plan:
                if dry_run:
                    try:
                        with transaction.atomic():
                            _apply_row(entry, centre=centre, actor=actor, result=result)
                    except RowError as error:
                        result.errors.append(error)
                else:
                    _apply_row(entry, centre=centre, actor=actor, result=result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except RowError as error:
        return Applied(errors=[error])
    return result


class _RowContext:
    def __init__(self, entry: dict[str, Any]) -> None:
        self.row = entry["row"]
        self.columns = {c["key"]: c["column"] for c in entry["changes"]}
        self.values = {c["key"]: c["value"] for c in entry["changes"]}
        self.baselines = {c["key"]: c["baseline"] for c in entry["changes"]}

    def column(self, key: str) -> str:
        return self.columns.get(key) or _(COLUMN_HEADERS[key])

    @contextmanager
    def at(self, key: str) -> Iterator[None]:
        """A service's refusal becomes an error of this row and column."""
        try:
            yield
        except DomainError as exc:
            column = _FIELD_COLUMN.get(exc.field or "", key)
            raise RowError(self.row, self.column(column), exc.message) from exc


def _apply_row(entry: dict[str, Any], *, centre: Centre, actor: User, result: Applied) -> None:
    ctx = _RowContext(entry)
    if entry["problem_id"] is None:
        _create(ctx, centre=centre, actor=actor, result=result)
        return
    problem = Problem.objects.select_for_update().filter(id=entry["problem_id"], centre=centre).first()
    if problem is None:
        raise RowError(ctx.row, ctx.column("code"), _("问题 %(code)s 已不存在。") % {"code": entry["code"]})
    current = Current.load(problem)
    _check_unchanged(ctx, current)
    _update(ctx, problem, current, centre=centre, actor=actor)
    result.updated += 1


def _baseline_of(current: Current, key: str, baseline: Any) -> Any:
    """The ledger's value now, in the form the plan stored it."""
    p = current.problem
    if key == "problem":
        return [p.title, p.description]
    if key == "deadline":
        deadline = current.value("deadline")
        return deadline.isoformat() if deadline else None
    if key == "progress":
        return [[n, *(current.progress(n) or (0, ""))] for n, _pct, _note in baseline]
    return current.value(key)


def _check_unchanged(ctx: _RowContext, current: Current) -> None:
    for key, baseline in ctx.baselines.items():
        if _baseline_of(current, key, baseline) != baseline:
            raise RowError(
                ctx.row,
                ctx.column(key),
                _("问题 %(code)s 在预览之后已被修改，未导入任何数据。请重新导出台账后再导入。")
                % {"code": current.problem.code},
            )


def _person(ctx: _RowContext, centre: Centre, person_id: int) -> User:
    person = active_staff_of(centre=centre).filter(id=person_id).first()
    if person is None:
        raise RowError(ctx.row, ctx.column("person"), _("责任人已不在本中心。"))
    return person


def _department(ctx: _RowContext, centre: Centre, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = departments_of(centre=centre).filter(id=department_id).first()
    if department is None:
        raise RowError(ctx.row, ctx.column("department"), _("责任单位已不存在。"))
    return department


def _update(ctx: _RowContext, problem: Problem, current: Current, *, centre: Centre, actor: User) -> None:
    values = ctx.values
    fields: dict[str, Any] = {}
    if "category" in values:
        fields["category"] = values["category"]
    if "problem" in values:
        fields["title"], fields["description"] = values["problem"]
    if "department" in values:
        fields["responsible_department"] = _department(ctx, centre, values["department"])
    if "person" in values:
        fields["responsible_person"] = _person(ctx, centre, values["person"])
    if fields:
        with ctx.at("problem"):
            problem = problem_update(problem_id=problem.id, actor=actor, **fields)
    # Progress lines are numbered as the file shows the measures: the ledger's, then those added.
    ordered = [m.id for m in current.measures]
    deadline = date.fromisoformat(values["deadline"]) if "deadline" in values else current.value("deadline")
    if "deadline" in values:
        old = ctx.baselines["deadline"]
        due_then = [m for m in current.measures if m.completed_at is None and m.deadline.isoformat() == old]
        if not due_then and len(values.get("measures", ())) <= len(current.measures):
            raise RowError(ctx.row, ctx.column("deadline"), _("没有未完成的整改措施在原时限到期，整改时限无法修改。"))
        for measure in due_then:
            with ctx.at("deadline"):
                measure_update(measure_id=measure.id, actor=actor, deadline=deadline, working_days=None)
    if "measures" in values:
        for index, text in enumerate(values["measures"]):
            if index < len(current.measures):
                if text != current.measures[index].description:
                    with ctx.at("measures"):
                        measure_update(measure_id=current.measures[index].id, actor=actor, description=text)
                continue
            if deadline is None:
                raise RowError(ctx.row, ctx.column("deadline"), _("新增整改措施须填写整改时限。"))
            with ctx.at("measures"):
                added = measure_add(
                    problem_id=problem.id,
                    actor=actor,
                    description=text,
                    owner=problem.responsible_person,
                    owner_department=problem.responsible_department,
                    deadline=deadline,
                )
            ordered.append(added.id)
    for number, pct, note in values.get("progress", ()):
        with ctx.at("progress"):
            progress_update_add(
                measure_id=ordered[number - 1],
                actor=actor,
                text=note or _("通过台账导入更新进度"),
                percentage=pct,
            )
    if "status" in values:
        with ctx.at("status"):
            problem_transition(problem_id=problem.id, to=values["status"], actor=actor, note=_("通过台账导入"))


def _create(ctx: _RowContext, *, centre: Centre, actor: User, result: Applied) -> None:
    values = ctx.values
    person = _person(ctx, centre, values["person"])
    department = _department(ctx, centre, values.get("department"))
    title, description = values["problem"]
    with ctx.at("problem"):
        problem = problem_create(
            actor=actor,
            centre=centre,
            category=values["category"],
            title=title,
            description=description,
            source=ProblemSource.SELF_INSPECTION,
            found_on=timezone.localdate(),
            responsible_leader=actor if access.is_leader(actor) else person,
            responsible_person=person,
            responsible_department=department,
        )
    deadline = date.fromisoformat(values["deadline"]) if "deadline" in values else None
    for text in values.get("measures", ()):
        with ctx.at("measures"):
            measure_add(
                problem_id=problem.id,
                actor=actor,
                description=text,
                owner=person,
                owner_department=department,
                deadline=deadline,
            )
    if "status" in values:
        with ctx.at("status"):
            problem_transition(problem_id=problem.id, to=values["status"], actor=actor, note=_("通过台账导入"))
    result.created.append(problem.code)
