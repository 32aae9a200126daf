"""Measures (整改措施) and their progress reports with evidence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, NotFound, NotPermitted, ValidationFailed
from govservice.masking import scrub
from govservice.models import Department
from govservice.workdays import WorkCalendar
from staff.models import User
from staff.selectors import scope_to_user

from ..models import Measure, Problem, ProblemEvent, ProgressUpdate
from ._shared import (
    Status,
    _check_same_centre,
    _diff,
    _event,
    _load_for_update,
    _require_manage,
)
from .evidence import evidence_store
from .problems import problem_transition

# --- measures --------------------------------------------------------------------------------


def _resolve_deadline(
    *, deadline: date | None, start_on: date | None, working_days: int | None, calendar: WorkCalendar | None = None
) -> tuple[date, bool]:
    if working_days:
        if start_on is None:
            raise ValidationFailed(_("按工作日计算时限须填写起算日期。"), field="start_on")
        result = (calendar or WorkCalendar.load()).add_working_days(start_on, working_days)
        return result.date, result.provisional
    if deadline is None:
        raise ValidationFailed(_("请填写整改时限，或起算日期加工作日数。"), field="deadline")
    return deadline, False


@transaction.atomic
def measure_add(
    *,
    problem_id: int,
    actor: User,
    description: str,
    owner: User,
    owner_department: Department | None = None,
    deadline: date | None = None,
    start_on: date | None = None,
    working_days: int | None = None,
    weight: int = 1,
    milestones: list[dict[str, Any]] | None = None,
    calendar: WorkCalendar | None = None,
) -> Measure:
    problem = _load_for_update(problem_id, actor)
    _require_manage(actor, problem)
    if problem.status == Status.CLOSED:
        raise ValidationFailed(_("已销号的问题不能新增措施。"))
    if weight < 1:
        raise ValidationFailed(_("权重至少为 1。"), field="weight")
    _check_same_centre(problem.centre, owner=owner, owner_department=owner_department)
    resolved, provisional = _resolve_deadline(
        deadline=deadline, start_on=start_on, working_days=working_days, calendar=calendar
    )
    measure = Measure.objects.create(
        problem=problem,
        description=description,
        owner=owner,
        owner_department=owner_department,
        deadline=resolved,
        deadline_provisional=provisional,
        start_on=start_on,
        working_days=working_days,
        weight=weight,
        milestones=_clean_milestones(milestones or []),
    )
    _event(
        problem,
        actor,
        ProblemEvent.Kind.MEASURE,
        note=_("新增措施：%(m)s") % {"m": description[:80]},
        changes={"deadline": ["", str(resolved)], "owner": ["", str(owner)], "weight": ["", str(weight)]},
    )
    return measure


def _clean_milestones(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for item in items:
        title = str(item.get("title", "")).strip()
        if not title:
            continue
        due = str(item.get("due", "") or "")
        if due:
            try:
                date.fromisoformat(due)
            except ValueError as exc:
                raise ValidationFailed(_("节点日期格式应为 YYYY-MM-DD。"), field="milestones") from exc
        cleaned.append({"title": title, "due": due, "done": bool(item.get("done", False))})
    return cleaned


MEASURE_EDITABLE = (
    "description",
    "owner",
    "owner_department",
    "deadline",
    "start_on",
    "working_days",
    "weight",
    "milestones",
)


@transaction.atomic
def measure_update(*, measure_id: int, actor: User, **fields: Any) -> Measure:
    measure = Measure.objects.select_for_update().select_related("problem").filter(id=measure_id).first()
    if measure is None or not scope_to_user(Problem.objects.filter(id=measure.problem_id), actor).exists():
        raise NotFound(_("未找到该措施。"))
    problem = measure.problem
    _require_manage(actor, problem)
    unknown = set(fields) - set(MEASURE_EDITABLE)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    if "milestones" in fields:
        fields["milestones"] = _clean_milestones(fields["milestones"] or [])
    if {"deadline", "start_on", "working_days"} & set(fields):
        resolved, provisional = _resolve_deadline(
            deadline=fields.get("deadline", measure.deadline),
            start_on=fields.get("start_on", measure.start_on),
            working_days=fields.get("working_days", measure.working_days),
        )
        fields["deadline"], fields["deadline_provisional"] = resolved, provisional
    changes = _diff(measure, fields)
    if changes:
        if "deadline" in changes:
            # A new deadline re-arms the near-due and overdue warnings.
            measure.near_due_warned_at = measure.overdue_flagged_at = None
        measure.save()
        _event(problem, actor, ProblemEvent.Kind.EDIT, note=_("修改措施：%(m)s") % {"m": str(measure)}, changes=changes)
    return measure


@transaction.atomic
def progress_update_add(
    *, measure_id: int, actor: User, text: str, percentage: int, files: Sequence[UploadedFile] = ()
) -> ProgressUpdate:
    measure = Measure.objects.select_for_update().filter(id=measure_id).first()
    if measure is None:
        raise NotFound(_("未找到该措施。"))
    problem = _load_for_update(measure.problem_id, actor)
    _require_manage(actor, problem)
    if problem.status in (Status.CLOSED, Status.CLOSE_OUT_APPLIED):
        raise ValidationFailed(_("申请销号或已销号的问题不能再填报进展。"))
    if not 0 <= percentage <= 100:
        raise ValidationFailed(_("进度须在 0 到 100 之间。"), field="percentage")
    if not text.strip():
        raise ValidationFailed(_("请填写进展情况。"), field="text")
    update = ProgressUpdate.objects.create(measure=measure, author=actor, text=text.strip(), percentage=percentage)
    for upload in files:
        evidence_store(problem=problem, update=update, actor=actor, upload=upload)
    old_progress = measure.progress
    measure.progress = percentage
    measure.completed_at = timezone.now() if percentage == 100 else None
    measure.save(update_fields=["progress", "completed_at", "updated_at"])
    _event(
        problem,
        actor,
        ProblemEvent.Kind.PROGRESS,
        note=text.strip()[:200],
        changes={"measure": [str(measure.id), str(measure.id)], "progress": [str(old_progress), str(percentage)]},
    )
    if problem.status == Status.OPEN:
        problem_transition(problem_id=problem.id, to=Status.IN_RECTIFICATION, actor=actor, note=_("开始整改"))
    return update


@transaction.atomic
def measure_take_over(*, measure_id: int, from_user: User, to_user: User, actor: User, reason: str) -> Measure:
    """A person is away or leaving: a leader of the centre gives their open measure to someone else."""
    measure = (
        Measure.objects.select_for_update().select_related("problem", "problem__centre").filter(id=measure_id).first()
    )
    if measure is None:
        raise NotFound(_("未找到该措施。"))
    problem = measure.problem
    if not access.can_reassign_work(actor, problem.centre_id):
        raise NotPermitted(_("只有本中心领导可以转交他人的工作。"))
    if measure.completed_at is not None or measure.owner_id != from_user.id:
        raise Conflict(_("措施“%(m)s”已不由 %(person)s 负责。") % {"m": str(measure), "person": from_user})
    if not to_user.is_active:
        raise ValidationFailed(_("请选择本中心另一名在岗人员。"), field="to_user")
    _check_same_centre(problem.centre, to_user=to_user)
    measure.owner = to_user
    measure.save(update_fields=["owner", "updated_at"])
    _event(
        problem,
        actor,
        ProblemEvent.Kind.EDIT,
        note=_("%(actor)s 将措施“%(m)s”的责任人由 %(old)s 改为 %(new)s：%(reason)s")
        % {"actor": actor, "m": str(measure), "old": from_user, "new": to_user, "reason": scrub(reason.strip())},
        changes={"owner": [str(from_user), str(to_user)]},
    )
    return measure
