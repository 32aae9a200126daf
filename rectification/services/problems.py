"""Problems: creation, edits, every status move (`problem_transition`), the 回头看 confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.categories import ProblemCategory
from govservice.exceptions import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from govservice.models import Centre, Department
from notifications.services import notice_text
from staff.models import User, Window

from ..models import Problem, ProblemEvent
from ..selectors import close_out_escalated, close_out_verifiers
from ._shared import (
    Status,
    _check_same_centre,
    _diff,
    _event,
    _load_for_update,
    _require_manage,
    _tell,
)
from .evidence import evidence_store

# The code prefix per category, as the centre's plan numbers its problems (e.g. "TD-03").
CODE_PREFIX = {
    ProblemCategory.ATTITUDE: "TD",
    ProblemCategory.ABILITY: "NL",
    ProblemCategory.EFFICIENCY: "XL",
    ProblemCategory.DISCIPLINE: "JL",
}

RECHECK_DAYS = settings.RECTIFICATION_RECHECK_DAYS

# --- problems --------------------------------------------------------------------------------


def _next_code(centre: Centre, category: str) -> str:
    prefix = CODE_PREFIX[ProblemCategory(category)]
    existing = Problem.objects.filter(centre=centre, code__startswith=f"{prefix}-").values_list("code", flat=True)
    numbers = [int(code.split("-", 1)[1]) for code in existing if code.split("-", 1)[1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:02d}"


@transaction.atomic
def problem_create(
    *,
    actor: User,
    centre: Centre,
    category: str,
    title: str,
    description: str,
    source: str,
    found_on: date,
    responsible_leader: User,
    responsible_person: User,
    responsible_department: Department | None = None,
    window: Window | None = None,
    code: str = "",
) -> Problem:
    if not access.has_management_role(actor):
        raise NotPermitted(_("只有中心领导或管理员可以登记问题。"))
    if not access.sees_centre(actor, centre.id):
        raise NotFound(_("未找到该中心。"))
    if category not in ProblemCategory.values:
        raise ValidationFailed(_("问题类别无效。"), field="category")
    _check_same_centre(
        centre,
        responsible_leader=responsible_leader,
        responsible_person=responsible_person,
        responsible_department=responsible_department,
        window=window,
    )
    code = code.strip() or _next_code(centre, category)
    if Problem.objects.filter(centre=centre, code=code).exists():
        raise ValidationFailed(_("问题编号 %(code)s 已存在。") % {"code": code}, field="code")
    problem = Problem.objects.create(
        centre=centre,
        code=code,
        category=category,
        title=title,
        description=description,
        source=source,
        found_on=found_on,
        responsible_leader=responsible_leader,
        responsible_person=responsible_person,
        responsible_department=responsible_department,
        window=window,
    )
    _event(problem, actor, ProblemEvent.Kind.CREATED, new_status=problem.status)
    return problem


PROBLEM_EDITABLE = (
    "title",
    "description",
    "category",
    "source",
    "found_on",
    "window",
    "responsible_leader",
    "responsible_person",
    "responsible_department",
)


@transaction.atomic
def problem_update(*, problem_id: int, actor: User, **fields: Any) -> Problem:
    problem = _load_for_update(problem_id, actor)
    _require_manage(actor, problem)
    unknown = set(fields) - set(PROBLEM_EDITABLE)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    if problem.status == Status.CLOSED:
        raise ValidationFailed(_("已销号的问题不能修改；如需重新整改，请先回头看重新打开。"))
    changes = _diff(problem, fields)
    if changes:
        problem.save()
        _event(problem, actor, ProblemEvent.Kind.EDIT, changes=changes)
    return problem


@transaction.atomic
def problem_transition(
    *,
    problem_id: int,
    to: str,
    actor: User,
    note: str = "",
    files: Sequence[UploadedFile] = (),
) -> Problem:
    """The one way a problem changes status (see Problem.TRANSITIONS)."""
    problem = _load_for_update(problem_id, actor)
    if to == problem.status:
        return problem  # a repeated request is a no-op
    if to not in Status.values or to not in Problem.TRANSITIONS[problem.status]:
        raise InvalidTransition(
            current=str(Status(problem.status).label),
            requested=str(Status(to).label) if to in Status.values else to,
        )
    note = note.strip()
    old = problem.status
    now = timezone.now()
    fields = ["status", "updated_at"]

    if old == Status.OPEN and to == Status.IN_RECTIFICATION:
        _require_manage(actor, problem)
    elif to == Status.CLOSE_OUT_APPLIED:
        _require_manage(actor, problem)
        for upload in files:
            evidence_store(problem=problem, update=None, actor=actor, upload=upload)
        if not problem.evidence.exists():
            raise ValidationFailed(_("申请销号须附佐证材料。"), field="files")
        problem.close_out_applied_at, problem.close_out_applied_by = now, actor
        fields += ["close_out_applied_at", "close_out_applied_by"]
    elif old == Status.CLOSE_OUT_APPLIED:
        if not access.can_close_out(actor, problem):
            raise NotPermitted(_close_out_refusal(problem))
        if to == Status.CLOSED:
            problem.closed_at, problem.verified_by = now, actor
            problem.recheck_on = timezone.localdate(now) + timedelta(days=RECHECK_DAYS)
            problem.rechecked_at = None
            problem.recurrence_flagged_at, problem.recurrence_note = None, ""
            fields += [
                "closed_at",
                "verified_by",
                "recheck_on",
                "rechecked_at",
                "recurrence_flagged_at",
                "recurrence_note",
            ]
        else:  # sent back
            if not note:
                raise ValidationFailed(_("退回须说明理由。"), field="note")
    elif old == Status.CLOSED:
        # 回头看 found the problem is back: only a leader re-opens, with the reason.
        if not access.can_recheck(actor):
            raise NotPermitted(_("只有中心领导可以重新打开已销号的问题。"))
        if not note:
            raise ValidationFailed(_("重新打开须说明回头看发现的情况。"), field="note")
        problem.rechecked_at = now
        problem.closed_at = None
        problem.close_out_applied_at, problem.close_out_applied_by = None, None
        fields += ["rechecked_at", "closed_at", "close_out_applied_at", "close_out_applied_by"]

    _event(problem, actor, ProblemEvent.Kind.TRANSITION, old_status=old, new_status=to, note=note)
    problem.status = to
    problem.save(update_fields=fields)
    transaction.on_commit(lambda: _notify_transition(problem.id, old, to, actor.id))
    return problem


def _close_out_refusal(problem: Problem) -> str:
    message = _("销号须由责任人、责任领导和申请人以外的领导验收。")
    if close_out_escalated(problem):
        message += _("本中心没有其他领导可以验收，已提交市级领导验收。")
    return message


def _notify_transition(problem_id: int, old: str, to: str, actor_id: int) -> None:
    problem = Problem.objects.select_related("responsible_person", "responsible_leader", "centre").get(id=problem_id)
    url = problem.get_absolute_url()
    key = f"ledger:problem:{problem.id}:{old}->{to}:{problem.updated_at:%Y%m%d%H%M%S}"
    label = f"{problem.code} {problem.title}"
    if to == Status.CLOSE_OUT_APPLIED:
        # Only leaders independent of the problem are asked; none in the centre: the city leaders.
        for leader in close_out_verifiers(problem):
            _tell(leader, key=key, text=notice_text(gettext_noop("%(p)s 已申请销号，待验收。"), {"p": label}), url=url)
    elif old == Status.CLOSE_OUT_APPLIED and to == Status.IN_RECTIFICATION:
        _tell(
            problem.responsible_person,
            key=key,
            text=notice_text(gettext_noop("%(p)s 的销号申请被退回。"), {"p": label}),
            url=url,
        )
    elif to == Status.CLOSED:
        _tell(
            problem.responsible_person,
            key=key,
            text=notice_text(gettext_noop("%(p)s 已验收销号。"), {"p": label}),
            url=url,
        )
    elif old == Status.CLOSED:
        for person in (problem.responsible_person, problem.responsible_leader):
            _tell(
                person,
                key=key,
                text=notice_text(gettext_noop("%(p)s 回头看发现反弹，已重新打开。"), {"p": label}),
                url=url,
            )


@transaction.atomic
def problem_recheck_confirm(*, problem_id: int, actor: User, note: str = "") -> Problem:
    """回头看 found the fix holds: record it; the problem stays closed."""
    problem = _load_for_update(problem_id, actor)
    if problem.status != Status.CLOSED:
        raise ValidationFailed(_("只有已销号的问题才能回头看。"))
    if not access.can_recheck(actor):
        raise NotPermitted(_("只有中心领导可以确认回头看。"))
    problem.rechecked_at = timezone.now()
    problem.save(update_fields=["rechecked_at", "updated_at"])
    _event(problem, actor, ProblemEvent.Kind.RECHECK, note=note or _("回头看：整改成效巩固，未发现反弹。"))
    return problem


def problem_deadline(problem: Problem) -> date | None:
    return problem.measures.aggregate(d=Max("deadline"))["d"]
