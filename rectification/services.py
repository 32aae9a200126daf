"""Writes for the ledger (整改台账): problems, measures, progress, evidence, close-out (销号).

Every status move goes through `problem_transition`; every edit records a
ProblemEvent with its actor. Notices and SMS leave only after the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.exceptions import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from govservice.workdays import WorkCalendar
from staff.models import Centre, Department, Role, User, Window
from staff.selectors import scope_to_user

from .models import EvidenceFile, Measure, Problem, ProblemCategory, ProblemEvent, ProgressUpdate

Status = Problem.Status

# The code prefix per category, as the centre's plan numbers its problems (e.g. "TD-03").
CODE_PREFIX = {
    ProblemCategory.ATTITUDE: "TD",
    ProblemCategory.ABILITY: "NL",
    ProblemCategory.EFFICIENCY: "XL",
    ProblemCategory.DISCIPLINE: "JL",
}

RECHECK_DAYS = settings.RECTIFICATION_RECHECK_DAYS
NEAR_DUE_WORKING_DAYS = settings.RECTIFICATION_NEAR_DUE_WORKING_DAYS
EVIDENCE_MAX_BYTES = settings.RECTIFICATION_EVIDENCE_MAX_BYTES

# Extension → accepted MIME types. The extension decides; the browser's claim must agree.
EVIDENCE_TYPES: dict[str, frozenset[str]] = {
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".png": frozenset({"image/png"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".pdf": frozenset({"application/pdf"}),
    ".doc": frozenset({"application/msword"}),
    ".docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    ".xls": frozenset({"application/vnd.ms-excel"}),
    ".xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    ".ppt": frozenset({"application/vnd.ms-powerpoint"}),
    ".pptx": frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"}),
}
# The first bytes of each family: a renamed executable is not a PDF.
_MAGIC = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG",),
    ".gif": (b"GIF8",),
    ".webp": (b"RIFF",),
    ".pdf": (b"%PDF",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
    ".ppt": (b"\xd0\xcf\x11\xe0",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
}


# --- access ----------------------------------------------------------------------------------


def _load_for_update(problem_id: int, actor: User) -> Problem:
    problem = scope_to_user(Problem.objects.select_for_update(), actor).filter(id=problem_id).first()
    if problem is None:
        raise NotFound(_("未找到该问题。"))
    return problem


def can_manage(user: User, problem: Problem) -> bool:
    """Leaders, centre admins and the people responsible may edit a problem and report progress."""
    if user.has_role(Role.LEADER, Role.CITY_LEADER, Role.CENTRE_ADMIN, Role.CITY_ADMIN):
        return True
    if user.id in (problem.responsible_person_id, problem.responsible_leader_id):
        return True
    return problem.measures.filter(owner=user).exists()


def can_verify(user: User, problem: Problem) -> bool:
    """Only a leader who is neither the responsible person nor the applicant verifies a close-out."""
    return (
        user.is_leader
        and user.id != problem.responsible_person_id
        and (problem.close_out_applied_by_id is None or user.id != problem.close_out_applied_by_id)
    )


def _require_manage(user: User, problem: Problem) -> None:
    if not can_manage(user, problem):
        raise NotPermitted(_("您不是该问题的责任人或中心领导。"))


def _event(
    problem: Problem,
    actor: User | None,
    kind: str,
    *,
    note: str = "",
    old_status: str = "",
    new_status: str = "",
    changes: dict[str, Any] | None = None,
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        actor=actor,
        kind=kind,
        note=note,
        old_status=old_status,
        new_status=new_status,
        changes=changes or {},
    )


def _tell(
    user: User | None, *, key: str, text: str, url: str, sms_template: str = "", centre: Centre | None = None
) -> None:
    """In-app notice, plus an SMS where the person opted in and has a mobile number."""
    from notifications.services import notice_send, sms_enqueue

    if user is None or not user.is_active:
        return
    notice_send(recipient=user, key=key, text=text, url=url)
    if sms_template and user.sms_opt_in and user.mobile:
        sms_enqueue(
            key=f"{key}:sms",
            phone=user.mobile,
            template_code=sms_template,
            params={"text": text[:60]},
            centre=centre,
        )


# --- problems --------------------------------------------------------------------------------


def _next_code(centre: Centre, category: str) -> str:
    prefix = CODE_PREFIX[ProblemCategory(category)]
    existing = Problem.objects.filter(centre=centre, code__startswith=f"{prefix}-").values_list("code", flat=True)
    numbers = [int(code.split("-", 1)[1]) for code in existing if code.split("-", 1)[1].isdigit()]
    return f"{prefix}-{max(numbers, default=0) + 1:02d}"


def _check_same_centre(centre: Centre, **people: User | Department | Window | None) -> None:
    for field, obj in people.items():
        if obj is not None and obj.centre_id != centre.id and not getattr(obj, "is_city_wide", False):
            raise ValidationFailed(_("必须是本中心的人员或部门。"), field=field)


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
    if not actor.has_role(Role.LEADER, Role.CITY_LEADER, Role.CENTRE_ADMIN, Role.CITY_ADMIN):
        raise NotPermitted(_("只有中心领导或管理员可以登记问题。"))
    if not actor.is_city_wide and actor.centre_id != centre.id:
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


def _diff(obj: Any, fields: dict[str, Any]) -> dict[str, list[str]]:
    changes: dict[str, list[str]] = {}
    for name, value in fields.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = [str(old) if old is not None else "", str(value) if value is not None else ""]
            setattr(obj, name, value)
    return changes


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
            current=Status(problem.status).label,
            requested=Status(to).label if to in Status.values else to,
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
        if not can_verify(actor, problem):
            raise NotPermitted(_("销号须由责任人和申请人以外的中心领导验收。"))
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
        if not actor.is_leader:
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


def _notify_transition(problem_id: int, old: str, to: str, actor_id: int) -> None:
    from staff.selectors import leaders_of

    problem = Problem.objects.select_related("responsible_person", "responsible_leader", "centre").get(id=problem_id)
    url = problem.get_absolute_url()
    key = f"ledger:problem:{problem.id}:{old}->{to}:{problem.updated_at:%Y%m%d%H%M%S}"
    label = f"{problem.code} {problem.title}"
    if to == Status.CLOSE_OUT_APPLIED:
        for leader in leaders_of(problem.centre).exclude(id__in=[problem.responsible_person_id, actor_id]):
            _tell(leader, key=key, text=_("%(p)s 已申请销号，待验收。") % {"p": label}, url=url)
    elif old == Status.CLOSE_OUT_APPLIED and to == Status.IN_RECTIFICATION:
        _tell(problem.responsible_person, key=key, text=_("%(p)s 的销号申请被退回。") % {"p": label}, url=url)
    elif to == Status.CLOSED:
        _tell(problem.responsible_person, key=key, text=_("%(p)s 已验收销号。") % {"p": label}, url=url)
    elif old == Status.CLOSED:
        for person in (problem.responsible_person, problem.responsible_leader):
            _tell(person, key=key, text=_("%(p)s 回头看发现反弹，已重新打开。") % {"p": label}, url=url)


@transaction.atomic
def problem_recheck_confirm(*, problem_id: int, actor: User, note: str = "") -> Problem:
    """回头看 found the fix holds: record it; the problem stays closed."""
    problem = _load_for_update(problem_id, actor)
    if problem.status != Status.CLOSED:
        raise ValidationFailed(_("只有已销号的问题才能回头看。"))
    if not actor.is_leader:
        raise NotPermitted(_("只有中心领导可以确认回头看。"))
    problem.rechecked_at = timezone.now()
    problem.save(update_fields=["rechecked_at", "updated_at"])
    _event(problem, actor, ProblemEvent.Kind.RECHECK, note=note or _("回头看：整改成效巩固，未发现反弹。"))
    return problem


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


# --- progress and evidence -------------------------------------------------------------------


def evidence_check(upload: UploadedFile) -> str:
    """The file's extension if its type and size are acceptable; ValidationFailed otherwise."""
    name = upload.name or ""
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix not in EVIDENCE_TYPES:
        raise ValidationFailed(_("只能上传图片、PDF 或 Office 文档：%(n)s") % {"n": name}, field="files")
    if upload.size is None or upload.size == 0:
        raise ValidationFailed(_("文件为空：%(n)s") % {"n": name}, field="files")
    if upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            _("文件超过 %(mb)d MB：%(n)s") % {"mb": EVIDENCE_MAX_BYTES // (1024 * 1024), "n": name}, field="files"
        )
    claimed = (getattr(upload, "content_type", "") or "").split(";")[0].strip()
    if claimed and claimed != "application/octet-stream" and claimed not in EVIDENCE_TYPES[suffix]:
        raise ValidationFailed(_("文件类型与扩展名不符：%(n)s") % {"n": name}, field="files")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(magic) for magic in _MAGIC[suffix]):
        raise ValidationFailed(_("文件内容与类型不符：%(n)s") % {"n": name}, field="files")
    return suffix


def evidence_store(
    *, problem: Problem, update: ProgressUpdate | None, actor: User, upload: UploadedFile
) -> EvidenceFile:
    suffix = evidence_check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    content_type = next(iter(EVIDENCE_TYPES[suffix]))
    evidence = EvidenceFile(
        problem=problem,
        update=update,
        original_name=(upload.name or "")[:255],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    # Storage.save picks a free name; upload_to adds a UUID, so nothing is overwritten.
    evidence.file.save(upload.name or f"evidence{suffix}", upload, save=False)
    evidence.save()
    _event(
        problem,
        actor,
        ProblemEvent.Kind.EVIDENCE,
        note=_("上传佐证材料：%(n)s") % {"n": evidence.original_name},
        changes={"sha256": ["", evidence.sha256]},
    )
    return evidence


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


# --- periodic checks -------------------------------------------------------------------------


def measures_flag_due(*, today: date | None = None, calendar: WorkCalendar | None = None) -> dict[str, int]:
    """Find overdue and near-due measures, claim each with compare-and-set, tell the people.

    Running it again changes nothing: a measure is claimed once per deadline
    (the flags are cleared when the deadline changes), and the notices carry
    natural keys.
    """
    today = today or timezone.localdate()
    calendar = calendar or WorkCalendar.load()
    now = timezone.now()
    near_limit = calendar.add_working_days(today, NEAR_DUE_WORKING_DAYS).date
    live = Measure.objects.filter(completed_at__isnull=True).exclude(problem__status=Status.CLOSED)
    counts = {"overdue": 0, "near_due": 0}

    for measure_id in live.filter(deadline__lt=today, overdue_flagged_at__isnull=True).values_list("id", flat=True):
        with transaction.atomic():
            claimed = Measure.objects.filter(id=measure_id, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=now
            )
            if claimed != 1:
                continue
            measure = Measure.objects.select_related("problem").get(id=measure_id)
            _event(
                measure.problem,
                None,
                ProblemEvent.Kind.OVERDUE,
                note=_("措施逾期：%(m)s（时限 %(d)s）") % {"m": str(measure), "d": measure.deadline},
            )
            transaction.on_commit(lambda mid=measure_id: _notify_measure(mid, "overdue"))
            counts["overdue"] += 1

    near = live.filter(
        deadline__gte=today, deadline__lte=near_limit, near_due_warned_at__isnull=True, overdue_flagged_at__isnull=True
    )
    for measure_id in near.values_list("id", flat=True):
        with transaction.atomic():
            claimed = Measure.objects.filter(id=measure_id, near_due_warned_at__isnull=True).update(
                near_due_warned_at=now
            )
            if claimed != 1:
                continue
            transaction.on_commit(lambda mid=measure_id: _notify_measure(mid, "near_due"))
            counts["near_due"] += 1
    return counts


def _notify_measure(measure_id: int, what: str) -> None:
    measure = Measure.objects.select_related("owner", "problem__responsible_leader", "problem__centre").get(
        id=measure_id
    )
    problem = measure.problem
    if what == "overdue":
        text = _("整改措施已逾期：%(p)s · %(m)s（时限 %(d)s）")
        template = "ledger_measure_overdue"
    else:
        text = _("整改措施临近时限：%(p)s · %(m)s（时限 %(d)s）")
        template = "ledger_measure_near_due"
    text = text % {"p": problem.code, "m": str(measure)[:30], "d": measure.deadline.isoformat()}
    key = f"ledger:measure:{measure.id}:{what}:{measure.deadline.isoformat()}"
    people = {measure.owner_id: measure.owner, problem.responsible_leader_id: problem.responsible_leader}
    for person in people.values():
        _tell(person, key=key, text=text, url=problem.get_absolute_url(), sms_template=template, centre=problem.centre)


def problems_recheck_due(*, today: date | None = None) -> int:
    """Remind the responsible leader when a closed problem's 回头看 date has come (once per date)."""
    today = today or timezone.localdate()
    due = Problem.objects.filter(status=Status.CLOSED, recheck_on__lte=today, rechecked_at__isnull=True)
    told = 0
    for problem in due.select_related("responsible_leader"):
        key = f"ledger:problem:{problem.id}:recheck:{problem.recheck_on.isoformat()}"
        from notifications.models import Notice

        if Notice.objects.filter(recipient=problem.responsible_leader, key=key).exists():
            continue
        _tell(
            problem.responsible_leader,
            key=key,
            text=_("%(p)s 已到回头看日期（%(d)s），请核查整改成效。") % {"p": problem.code, "d": problem.recheck_on},
            url=problem.get_absolute_url(),
        )
        told += 1
    return told


def problems_flag_recurrence(*, now: Any = None) -> int:
    """Flag closed problems when a new complaint or bad review arrives in the same category and window.

    Complaints count when their category matches (and their window, if the
    problem names one); bad reviews carry no category, so they count when they
    were given at the problem's window. Claimed with compare-and-set.
    """
    from complaints.models import BAD_REVIEW_LEVELS, Complaint, Evaluation

    flagged = 0
    candidates = Problem.objects.filter(
        status=Status.CLOSED, recurrence_flagged_at__isnull=True, closed_at__isnull=False
    )
    for problem in candidates.only("id", "centre_id", "category", "window_id", "closed_at", "recheck_on"):
        complaints = Complaint.objects.filter(
            centre_id=problem.centre_id, category=problem.category, received_at__gt=problem.closed_at
        )
        if problem.window_id:
            complaints = complaints.filter(window_id=problem.window_id)
        first_complaint = complaints.order_by("received_at").values_list("tracking_no", flat=True).first()
        note = ""
        if first_complaint:
            note = _("销号后出现同类投诉：%(n)s") % {"n": first_complaint}
        elif problem.window_id:
            bad = Evaluation.objects.filter(
                centre_id=problem.centre_id,
                window_id=problem.window_id,
                level__in=BAD_REVIEW_LEVELS,
                excluded=False,
                rated_at__gt=problem.closed_at,
            ).exists()
            if bad:
                note = _("销号后该窗口出现差评")
        if not note:
            continue
        with transaction.atomic():
            if (
                Problem.objects.filter(id=problem.id, recurrence_flagged_at__isnull=True).update(
                    recurrence_flagged_at=timezone.now(), recurrence_note=note[:300]
                )
                != 1
            ):
                continue
            _event(problem, None, ProblemEvent.Kind.RECURRENCE, note=note)
            transaction.on_commit(lambda pid=problem.id, n=note: _notify_recurrence(pid, n))
            flagged += 1
    return flagged


def _notify_recurrence(problem_id: int, note: str) -> None:
    problem = Problem.objects.select_related("responsible_leader").get(id=problem_id)
    _tell(
        problem.responsible_leader,
        key=f"ledger:problem:{problem.id}:recurrence:{problem.closed_at:%Y%m%d}",
        text=_("%(p)s 疑似反弹：%(n)s") % {"p": problem.code, "n": note},
        url=problem.get_absolute_url(),
    )


def problem_deadline(problem: Problem) -> date | None:
    return problem.measures.aggregate(d=Max("deadline"))["d"]
