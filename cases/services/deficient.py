"""Acceptance with deficiencies (容缺受理): the commitment, materials handed in later, the one
extension of the correction deadline and the expiry that ends the case."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.crypto import lookup_hash, lookup_hashes
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.masking import mask_id_number
from govservice.workdays import WorkCalendar
from notifications.services import notice_text
from staff.models import User
from staff.selectors import leaders_of

from ..models import (
    ApplicantRecord,
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
)
from ._common import _ensure_can_manage, _event, _lock, _notify_after_commit, _typed
from .reminders import _reminders_cancel, reminders_plan
from .transitions import case_transition

S = Case.Status


def applicant_has_bad_record(*, centre_id: int, id_number: str) -> bool:
    """Whether the centre holds a broken or false commitment for this ID number, hashed under any lookup key."""
    hashes = lookup_hashes(id_number)
    return bool(hashes) and ApplicantRecord.objects.filter(centre_id=centre_id, id_hash__in=hashes).exists()


@transaction.atomic
def case_accept_with_deficiencies(
    *,
    case_id: int,
    actor: User,
    deferred_material_ids: Iterable[int],
    submit_method: str = Commitment.SubmitMethod.WINDOW,
    correction_days: int | None = None,
) -> Case:
    """容缺受理: only non-core materials may be deferred; the citizen signs a commitment.

    `deferred_material_ids` are CaseMaterial ids or catalogue Material ids.
    """
    case = _lock(case_id)
    if case.status != S.CONSULTATION:
        raise InvalidTransition(current=case.status, requested=S.ACCEPTED_DEFICIENT)
    _ensure_can_manage(case, actor)
    wanted = set(deferred_material_ids)
    materials = list(case.materials.all())
    deferred = [m for m in materials if m.id in wanted or m.material_id in wanted]
    if not deferred:
        raise ValidationFailed(_("请选择容缺后补的材料。"), field="deferred")
    core = [m.name for m in deferred if m.is_core]
    if core:
        raise ValidationFailed(
            _("主要材料不可容缺：%(names)s。请补齐后再受理。") % {"names": "、".join(core)}, field="deferred"
        )
    missing_core = [m.name for m in materials if m.is_core and m.state != CaseMaterial.State.PROVIDED]
    if missing_core:
        raise ValidationFailed(
            _("主要材料未提交，不能容缺受理：%(names)s。") % {"names": "、".join(missing_core)}, field="materials"
        )
    still_missing = [m.name for m in materials if m.state == CaseMaterial.State.MISSING and m not in deferred]
    if still_missing:
        raise ValidationFailed(
            _("以下材料既未提交也未列入容缺：%(names)s。") % {"names": "、".join(still_missing)}, field="deferred"
        )
    if applicant_has_bad_record(centre_id=case.centre_id, id_number=case.applicant_id_number):
        raise NotPermitted(_("该申请人有未按承诺补正或虚假承诺的记录，不能适用容缺受理。"))
    if submit_method not in Commitment.SubmitMethod.values:
        raise ValidationFailed(_("请选择补交方式。"), field="submit_method")
    days = correction_days or case.matter_type.correction_days
    if not 1 <= days <= case.matter_type.promised_days:
        raise ValidationFailed(
            _("补正期限须为 1 至 %(max)s 个工作日（不超过承诺时限）。") % {"max": case.matter_type.promised_days},
            field="correction_days",
        )
    result = WorkCalendar.load().add_working_days(timezone.localdate(), days)
    CaseMaterial.objects.filter(id__in=[m.id for m in deferred]).update(state=CaseMaterial.State.DEFERRED)
    Commitment.objects.create(
        case=case, deadline=result.date, deadline_provisional=result.provisional, submit_method=submit_method
    )
    Case.objects.filter(id=case.id).update(correction_deadline=result.date)  # the list's copy (models.py)
    names = "、".join(m.name for m in deferred)
    case_transition(case_id=case.id, to=S.ACCEPTED_DEFICIENT, actor=actor, note=_("容缺受理，签署承诺书"))
    case_transition(
        case_id=case.id,
        to=S.AWAITING_CORRECTION,
        actor=actor,
        clock_note=_("待补正：%(names)s（期限 %(date)s）") % {"names": names, "date": result.date.isoformat()},
    )
    case.refresh_from_db()
    reminders_plan(case=case)
    return case


@transaction.atomic
def case_material_receive(*, case_id: int, case_material_id: int, actor: User) -> Case:
    """One deferred material handed in. The last one resumes the clock and cancels the reminders."""
    case = _lock(case_id)
    if case.status != S.AWAITING_CORRECTION:
        raise InvalidTransition(current=case.status, requested=S.IN_PROCESS, message=_("该办件不在待补正状态。"))
    if not access.sees_centre(actor, case.centre_id):
        raise NotPermitted()
    material = CaseMaterial.objects.select_for_update().filter(id=case_material_id, case=case).first()
    if material is None:
        raise ValidationFailed(_("该材料不属于此办件。"), field="material")
    if material.state == CaseMaterial.State.RECEIVED:
        return case  # a double click is a no-op
    if material.state != CaseMaterial.State.DEFERRED:
        raise ValidationFailed(_("该材料不是容缺待补材料。"), field="material")
    material.state = CaseMaterial.State.RECEIVED
    material.received_at = timezone.now()
    material.received_by = actor
    material.save(update_fields=["state", "received_at", "received_by"])
    _event(case, kind=CaseEvent.Kind.MATERIAL, actor=actor, note=_("收到补正材料：%(name)s") % {"name": material.name})
    if not case.materials.filter(state=CaseMaterial.State.DEFERRED).exists():
        _reminders_cancel(case)
        # The receiver may not be the handler (any window takes paper): the move is the system's.
        case = case_transition(
            case_id=case.id,
            to=S.IN_PROCESS,
            actor=None,
            expected_from=S.AWAITING_CORRECTION,
            note=_("补正材料已收齐，恢复计时"),
        )
    return case


@transaction.atomic
def case_correction_extend(*, case_id: int, actor: User, days: int, reason: str) -> Commitment:
    """A leader extends the correction deadline once, with a reason, within the promised time."""
    reason = _typed(reason)
    case = _lock(case_id)
    if not access.can_extend_correction(actor, case.centre_id):
        raise NotPermitted(_("只有中心领导可以延长补正期限。"))
    if case.status != S.AWAITING_CORRECTION:
        raise InvalidTransition(
            current=case.status, requested=S.AWAITING_CORRECTION, message=_("该办件不在待补正状态。")
        )
    if not reason.strip():
        raise ValidationFailed(_("请写明延期理由。"), field="reason")
    commitment = Commitment.objects.select_for_update().get(case=case)
    if commitment.was_extended:
        raise Conflict(_("补正期限只能延长一次。"))
    calendar = WorkCalendar.load()
    limit = calendar.add_working_days(timezone.localdate(commitment.signed_at), case.matter_type.promised_days).date
    new_deadline = calendar.add_working_days(commitment.deadline, days).date
    if days < 1 or new_deadline > limit:
        raise ValidationFailed(
            _("延期后的期限不得晚于承诺时限（%(date)s）。") % {"date": limit.isoformat()}, field="days"
        )
    _reminders_cancel(case)
    commitment.original_deadline = commitment.deadline
    commitment.deadline = new_deadline
    commitment.extended_by = actor
    commitment.extension_reason = reason.strip()
    commitment.save(update_fields=["original_deadline", "deadline", "extended_by", "extension_reason"])
    Case.objects.filter(id=case.id).update(correction_deadline=new_deadline, updated_at=timezone.now())
    _event(
        case,
        kind=CaseEvent.Kind.EXTENSION,
        actor=actor,
        note=_("补正期限延至 %(date)s：%(reason)s") % {"date": new_deadline.isoformat(), "reason": reason.strip()},
    )
    reminders_plan(case=case)
    return commitment


@transaction.atomic
def case_correction_expire(*, case_id: int) -> bool:
    """Deadline missed: terminate (compare-and-set), mark the applicant, tell first responder and leaders.

    Returns True only for the run that terminated the case; a second run does nothing.
    """
    case = _lock(case_id)
    commitment = Commitment.objects.filter(case=case).first()
    if case.status != S.AWAITING_CORRECTION or commitment is None or commitment.deadline >= timezone.localdate():
        return False
    case = case_transition(
        case_id=case.id,
        to=S.TERMINATED,
        actor=None,
        expected_from=S.AWAITING_CORRECTION,
        note=_("补正期限 %(date)s 已过，未补齐材料，终止办理") % {"date": commitment.deadline.isoformat()},
    )
    if case.status != S.TERMINATED:
        return False
    if case.applicant_id_number:
        ApplicantRecord.objects.get_or_create(
            case=case,
            kind=ApplicantRecord.Kind.BROKEN,
            defaults={
                "centre_id": case.centre_id,
                "id_hash": lookup_hash(case.applicant_id_number),
                "id_masked": mask_id_number(case.applicant_id_number),
                "note": _("办件 %(no)s 未在期限内补正") % {"no": case.tracking_no},
            },
        )
    _notify_after_commit(
        [case.first_responder, case.handler, *leaders_of(case.centre)],
        key=f"case:{case.id}:terminated",
        text=notice_text(gettext_noop("办件 %(no)s 未按期补正，已终止办理。"), {"no": case.tracking_no}),
        url=case.get_absolute_url(),
    )
    return True
