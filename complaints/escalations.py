"""Writes for the "could not get it done" window (办不成事反映窗口) and its leader duty rota.

General matters get a solution back within 2 working days, complex ones a special report
and joint handling with the departments involved within 5 (per-centre policy); the
deadlines come from the working-day calendar.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access, workdays
from govservice.crypto import lookup_hash
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre, Department
from govservice.sealed import sealed_fields
from staff.models import Role, User
from staff.selectors import active_staff_with_roles

from .models import (
    DutySlot,
    DutySwap,
    Escalation,
    EscalationDepartment,
    EscalationEvent,
    EvaluationLevel,
    FeedbackPolicy,
)
from .services.common import _new_tracking_no

DEFAULT_DUTY_WEEKDAYS = (DutySlot.Weekday.TUE, DutySlot.Weekday.THU)


def duty_leader_on(*, centre: Centre, when: datetime) -> User | None:
    """The leader on duty at the escalation window at a moment: a swap for that date wins over the rota."""
    local = timezone.localtime(when)
    half = DutySlot.Half.MORNING if local.hour < 12 else DutySlot.Half.AFTERNOON
    swap = DutySwap.objects.filter(centre=centre, date=local.date(), half=half).select_related("leader").first()
    if swap is not None:
        return swap.leader
    slot = DutySlot.objects.filter(centre=centre, weekday=local.weekday(), half=half).select_related("leader").first()
    return slot.leader if slot else None


@transaction.atomic
def duty_rota_seed(*, centre: Centre) -> list[DutySlot]:
    """Default rota (Tuesday and Thursday mornings) for a centre that has none, rotating its leaders."""
    leaders = list(active_staff_with_roles(centre=centre, roles=(Role.LEADER,)).order_by("id"))
    if not leaders or DutySlot.objects.filter(centre=centre).exists():
        return list(DutySlot.objects.filter(centre=centre))
    return [
        DutySlot.objects.create(centre=centre, weekday=weekday, leader=leaders[index % len(leaders)])
        for index, weekday in enumerate(DEFAULT_DUTY_WEEKDAYS)
    ]


@transaction.atomic
def duty_slot_set(*, centre: Centre, weekday: int, half: str, leader: User | None, actor: User) -> DutySlot | None:
    """Edit the rota: put a leader on a weekday half-day, or clear it (leader=None)."""
    if not access.can_manage_centre(actor, centre.id):
        raise NotPermitted()
    if weekday not in DutySlot.Weekday.values or half not in DutySlot.Half.values:
        raise ValidationFailed(_("值班时段无效。"), field="weekday")
    if leader is None:
        DutySlot.objects.filter(centre=centre, weekday=weekday, half=half).delete()
        return None
    if not access.is_leader_of(leader, centre.id):
        raise ValidationFailed(_("值班人员须为本中心领导。"), field="leader")
    slot, _created = DutySlot.objects.update_or_create(
        centre=centre, weekday=weekday, half=half, defaults={"leader": leader}
    )
    return slot


@transaction.atomic
def duty_swap(*, centre: Centre, on: date, half: str, leader: User, actor: User, note: str = "") -> DutySwap:
    """One date's substitute (调班); the regular rota stays as it is."""
    if not access.can_manage_centre(actor, centre.id):
        raise NotPermitted()
    if not access.is_leader_of(leader, centre.id):
        raise ValidationFailed(_("值班人员须为本中心领导。"), field="leader")
    if half not in DutySlot.Half.values:
        raise ValidationFailed(_("值班时段无效。"), field="half")
    swap, _created = DutySwap.objects.update_or_create(
        centre=centre, date=on, half=half, defaults={"leader": leader, "note": note}
    )
    return swap


def escalation_due(*, centre: Centre, kind: str, received_on: date) -> workdays.WorkdayResult:
    policy = FeedbackPolicy.for_centre(centre)
    days = policy.complex_escalation_days if kind == Escalation.Kind.COMPLEX else policy.general_escalation_days
    return workdays.add_working_days(received_on, days)


def _require_centre_manager(actor: User, centre_id: int) -> None:
    # Leaders of the centre (and centre/city admins) run the window.
    if not access.can_manage_centre(actor, centre_id):
        raise NotPermitted()


@transaction.atomic
def escalation_register(
    *,
    centre: Centre,
    content: str,
    actor: User,
    kind: str = Escalation.Kind.GENERAL,
    reason: str = Escalation.Reason.OTHER,
    citizen_name: str = "",
    citizen_phone: str = "",
    matter_type=None,
    received_at: datetime | None = None,
) -> Escalation:
    """The leader on duty registers a matter; its answer deadline follows from its kind."""
    # The leader on duty is always a manager of the centre (is_leader_of implies can_manage_centre).
    if not access.can_manage_centre(actor, centre.id):
        raise NotPermitted(_("办不成事反映由值班领导登记。"))
    if kind not in Escalation.Kind.values:
        raise ValidationFailed(_("类型无效。"), field="kind")
    if reason not in Escalation.Reason.values:
        raise ValidationFailed(_("原因无效。"), field="reason")
    if not content.strip():
        raise ValidationFailed(_("请填写内容。"), field="content")
    if matter_type is not None and matter_type.centre_id != centre.id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="matter_type")
    received_at = received_at or timezone.now()
    due = escalation_due(centre=centre, kind=kind, received_on=timezone.localtime(received_at).date())
    phone = citizen_phone.strip()
    escalation = Escalation.objects.create(
        tracking_no=_new_tracking_no(centre, "B"),
        centre=centre,
        kind=kind,
        reason=reason,
        citizen_name=citizen_name.strip(),
        citizen_phone=phone,
        citizen_phone_hash=lookup_hash(phone) if phone else "",
        matter_type=matter_type,
        content=content.strip(),
        received_by=actor,
        received_at=received_at,
        due_date=due.date,
        due_is_provisional=due.provisional,
    )
    EscalationEvent.objects.create(escalation=escalation, new_status=escalation.status, actor=actor)
    return escalation


def _lock(escalation_id: int) -> Escalation:
    return Escalation.objects.select_for_update().get(id=escalation_id)


def _move(escalation: Escalation, to: str, *, actor: User, note: str = "") -> None:
    if to == escalation.status:
        return
    if to not in Escalation.TRANSITIONS[escalation.status]:
        raise InvalidTransition(
            current=str(Escalation.Status(escalation.status).label), requested=str(Escalation.Status(to).label)
        )
    EscalationEvent.objects.create(
        escalation=escalation, old_status=escalation.status, new_status=to, actor=actor, note=note
    )
    escalation.status = to


@transaction.atomic
def escalation_reclassify(*, escalation_id: int, kind: str, actor: User) -> Escalation:
    """General ↔ complex; the deadline is recounted from the day the matter was received."""
    escalation = _lock(escalation_id)
    _require_centre_manager(actor, escalation.centre_id)
    if kind not in Escalation.Kind.values:
        raise ValidationFailed(_("类型无效。"), field="kind")
    due = escalation_due(
        centre=escalation.centre, kind=kind, received_on=timezone.localtime(escalation.received_at).date()
    )
    EscalationEvent.objects.create(
        escalation=escalation, actor=actor, note=_("改为%(kind)s") % {"kind": Escalation.Kind(kind).label}
    )
    escalation.kind = kind
    escalation.due_date = due.date
    escalation.due_is_provisional = due.provisional
    escalation.overdue_warned_at = None
    escalation.save(update_fields=["kind", "due_date", "due_is_provisional", "overdue_warned_at", "updated_at"])
    return escalation


@transaction.atomic
def escalation_add_department(*, escalation_id: int, department: Department, part: str, actor: User) -> Escalation:
    escalation = _lock(escalation_id)
    _require_centre_manager(actor, escalation.centre_id)
    if department.centre_id != escalation.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="department")
    if not part.strip():
        raise ValidationFailed(_("请写明该部门承担的工作。"), field="part")
    EscalationDepartment.objects.update_or_create(
        escalation=escalation, department=department, defaults={"part": part.strip()}
    )
    _move(escalation, Escalation.Status.IN_PROGRESS, actor=actor, note=department.name)
    escalation.save(update_fields=["status", "updated_at"])
    return escalation


@transaction.atomic
def escalation_department_answer(*, item_id: int, answer: str, actor: User) -> EscalationDepartment:
    item = EscalationDepartment.objects.select_for_update().select_related("escalation").get(id=item_id)
    if not access.can_answer_for_department(
        actor, centre_id=item.escalation.centre_id, department_id=item.department_id
    ):
        raise NotPermitted()
    if not answer.strip():
        raise ValidationFailed(_("请填写答复内容。"), field="answer")
    item.answer = answer.strip()
    item.answered_at = timezone.now()
    item.save(update_fields=["answer", "answered_at"])
    EscalationEvent.objects.create(
        escalation=item.escalation, actor=actor, note=f"{item.department.name}：{item.answer}"
    )
    return item


@transaction.atomic
def escalation_write_report(*, escalation_id: int, report: str, actor: User) -> Escalation:
    """The special report (专题报告) of a complex matter, written in the app and printable."""
    escalation = _lock(escalation_id)
    _require_centre_manager(actor, escalation.centre_id)
    escalation.report = report.strip()
    escalation.save(update_fields=[*sealed_fields("report"), "updated_at"])
    EscalationEvent.objects.create(escalation=escalation, actor=actor, note=_("更新专题报告"))
    return escalation


@transaction.atomic
def escalation_resolve(*, escalation_id: int, solved: bool, outcome: str, actor: User) -> Escalation:
    escalation = _lock(escalation_id)
    _require_centre_manager(actor, escalation.centre_id)
    if not outcome.strip():
        raise ValidationFailed(_("请填写办理结果。"), field="outcome")
    if solved and escalation.kind == Escalation.Kind.COMPLEX and not escalation.report.strip():
        raise ValidationFailed(_("复杂问题须先形成专题报告。"), field="report")
    to = Escalation.Status.RESOLVED if solved else Escalation.Status.UNRESOLVED
    _move(escalation, to, actor=actor, note=outcome.strip())
    escalation.outcome = outcome.strip()
    escalation.solved_at = timezone.now() if solved else None
    escalation.save(update_fields=["status", *sealed_fields("outcome"), "solved_at", "updated_at"])
    return escalation


@transaction.atomic
def escalation_close(*, escalation_id: int, satisfaction: int, actor: User, note: str = "") -> Escalation:
    """The citizen's satisfaction is recorded at the callback and the matter closes."""
    escalation = _lock(escalation_id)
    _require_centre_manager(actor, escalation.centre_id)
    if satisfaction not in EvaluationLevel.values:
        raise ValidationFailed(_("评价等级须为 1 到 5。"), field="satisfaction")
    _move(escalation, Escalation.Status.CLOSED, actor=actor, note=note)
    escalation.satisfaction = satisfaction
    escalation.save(update_fields=["status", "satisfaction", "updated_at"])
    return escalation
