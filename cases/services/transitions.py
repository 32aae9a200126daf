"""The state machine: the one transition service, logging a case and accepting it.

Views and tasks never assign `.status`: every move goes through `case_transition`."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.crypto import lookup_hash
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from notifications.services import notice_text
from staff.models import User

from ..models import (
    CLOSED_STATUSES,
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
    MatterType,
    RejectReason,
)
from ..search import phone_last4
from ._common import (
    NOT_MY_BUSINESS,
    _ensure_can_manage,
    _event,
    _lock,
    _notify_after_commit,
    _typed,
    applicant_validate,
    case_clock,
    tracking_number_allocate,
)
from .citizen import case_completed_notify, case_terminated_notify
from .reminders import _reminders_cancel

logger = logging.getLogger(__name__)
S = Case.Status


# Clock marks written when a case enters a status (see cases/clock.py).
# keyed by the status a case enters (str: `to` arrives as a plain string from forms and the API)
CLOCK_ON_ENTER: dict[str, str] = {
    S.ACCEPTED: CaseEvent.Clock.START,
    S.ACCEPTED_DEFICIENT: CaseEvent.Clock.START,
    S.AWAITING_CORRECTION: CaseEvent.Clock.PAUSE,
}


def _check_guards(case: Case, to: str, *, reason: str, referred_to: str, note: str) -> None:
    """Preconditions of entering a status, enforced for every door (UI, API, admin, task)."""
    materials = list(case.materials.all())
    if to == S.ACCEPTED:
        missing = [m.name for m in materials if m.state != CaseMaterial.State.PROVIDED]
        if missing:
            raise ValidationFailed(
                _("材料不齐，不能直接受理：%(names)s。") % {"names": "、".join(missing)}, field="materials"
            )
    if to == S.ACCEPTED_DEFICIENT and not Commitment.objects.filter(case=case).exists():
        raise ValidationFailed(_("容缺受理须先签署承诺书。"), field="commitment")
    if to == S.AWAITING_CORRECTION and not any(m.state == CaseMaterial.State.DEFERRED for m in materials):
        raise ValidationFailed(_("没有待补正的材料。"), field="materials")
    if case.status == S.AWAITING_CORRECTION and to == S.IN_PROCESS:
        outstanding = [m.name for m in materials if m.state == CaseMaterial.State.DEFERRED]
        if outstanding:
            raise ValidationFailed(
                _("尚有材料未补正：%(names)s。") % {"names": "、".join(outstanding)}, field="materials"
            )
    if to == S.TERMINATED:
        commitment = Commitment.objects.filter(case=case).first()
        if commitment is None or commitment.deadline >= timezone.localdate():
            raise ValidationFailed(_("补正期限未届满，不能终止办理。"), field="to")
    if to in CLOSED_STATUSES:
        if to == S.REJECTED:
            if reason not in RejectReason.values:
                raise ValidationFailed(_("请选择不予受理的法定理由。"), field="reason")
            if reason == RejectReason.OTHER_AUTHORITY and not referred_to.strip():
                raise ValidationFailed(_("不属于本机关职权范围的，须写明已告知的有权机关。"), field="referred_to")
        elif not note.strip():
            raise ValidationFailed(_("办结、撤回或终止须写明结果。"), field="note")
        if NOT_MY_BUSINESS.search(note) or NOT_MY_BUSINESS.search(referred_to):
            raise ValidationFailed(_("“不归我管”不是办理结果（首问负责制）。"), field="note")


@transaction.atomic
def case_transition(
    *,
    case_id: int,
    to: str,
    actor: User | None,
    note: str = "",
    reason: str = "",
    referred_to: str = "",
    expected_from: str | None = None,
    clock_note: str = "",
) -> Case:
    """Move a case along Case.TRANSITIONS. `actor=None` is the system (a task).

    With `expected_from`, the move is a compare-and-set: if the case has moved on
    meanwhile (another task run, a person), nothing happens and the case is returned.
    """
    note, referred_to = _typed(note), _typed(referred_to)
    case = _lock(case_id)
    if to == case.status:
        return case  # a repeated request is a no-op
    if expected_from is not None and case.status != expected_from:
        return case
    if to not in S.values or to not in Case.TRANSITIONS[case.status]:
        raise InvalidTransition(current=case.status, requested=to)
    _ensure_can_manage(case, actor)
    _check_guards(case, to, reason=reason, referred_to=referred_to, note=note)

    old = case.status
    changed = Case.objects.filter(id=case.id, status=old).update(status=to, updated_at=timezone.now())
    if changed != 1:  # compare-and-set lost (only possible without row locks, e.g. SQLite readers)
        return Case.objects.get(id=case.id)
    case.status = to
    clock = CLOCK_ON_ENTER.get(to, "")
    if old == S.AWAITING_CORRECTION and to == S.IN_PROCESS:
        clock = CaseEvent.Clock.RESUME
    if to in CLOSED_STATUSES and case.accepted_at is not None:
        clock = CaseEvent.Clock.STOP
    _event(
        case,
        kind=CaseEvent.Kind.STATUS,
        actor=actor,
        note=clock_note or note,
        old_status=old,
        new_status=to,
        clock=clock,
    )

    fields = ["updated_at"]
    now = timezone.now()
    if to in (S.ACCEPTED, S.ACCEPTED_DEFICIENT):
        case.accepted_at = now
        fields.append("accepted_at")
    if to == S.COMPLETED:
        case.completed_at = now
        fields.append("completed_at")
    if to == S.REJECTED:
        case.reject_reason, case.referred_to = reason, referred_to.strip()
        fields += ["reject_reason", "referred_to"]
    if clock in (CaseEvent.Clock.START, CaseEvent.Clock.RESUME):
        state = case_clock(case=case)
        if state.due_date:
            case.due_date = state.due_date
            fields.append("due_date")
    case.save(update_fields=fields)
    if to in CLOSED_STATUSES:
        _reminders_cancel(case)
    # The citizen is told by SMS how the case ended: completed (with the rating link) or terminated.
    if to == S.COMPLETED:
        case_completed_notify(case=case)
    elif to == S.TERMINATED:
        case_terminated_notify(case=case)
    if actor is None or actor.id != case.first_responder_id:
        _notify_after_commit(
            [case.first_responder],
            key=f"case:{case.id}:status:{to}",
            text=notice_text(
                gettext_noop("办件 %(no)s 状态变更为“%(status)s”。"), {"no": case.tracking_no, "status": S(to).label}
            ),
            url=case.get_absolute_url(),
        )
    return case


# --- creating and accepting ------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    actor: User,
    matter_type_id: int,
    applicant_kind: str,
    applicant_name: str,
    applicant_phone: str = "",
    applicant_id_number: str = "",
    is_elderly: bool = False,
    is_disabled: bool = False,
    is_other_special: bool = False,
    provided_material_ids: Iterable[int] = (),
    note: str = "",
) -> Case:
    """Log a case (咨询/登记). The member of staff who logs it is its first responder for good."""
    note = _typed(note)
    if actor.centre_id is None:
        raise NotPermitted(_("您不属于任何中心，不能登记办件。"))
    matter_type = (
        MatterType.objects.filter(id=matter_type_id, centre_id=actor.centre_id, is_active=True)
        .select_related("centre")
        .first()
    )
    if matter_type is None:
        raise ValidationFailed(_("请选择本中心的事项。"), field="matter_type")
    if not applicant_name.strip():
        raise ValidationFailed(_("请填写申请人。"), field="applicant_name")
    id_number, phone = applicant_validate(kind=applicant_kind, id_number=applicant_id_number, phone=applicant_phone)
    year = timezone.localdate().year
    tracking_no = tracking_number_allocate(
        centre_id=matter_type.centre_id, prefix=matter_type.centre.tracking_prefix, year=year
    )
    case = Case.objects.create(
        tracking_no=tracking_no,
        centre_id=matter_type.centre_id,
        matter_type=matter_type,
        window=actor.window,
        applicant_kind=applicant_kind,
        applicant_name=applicant_name.strip(),
        applicant_phone=phone,
        applicant_phone_hash=lookup_hash(phone),
        applicant_phone_last4=phone_last4(phone),
        applicant_id_number=id_number,
        applicant_id_hash=lookup_hash(id_number),
        is_elderly=is_elderly,
        is_disabled=is_disabled,
        is_other_special=is_other_special,
        first_responder=actor,
        handler=actor,
    )
    provided = set(provided_material_ids)
    CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            material=material,
            name=material.name,
            is_core=material.is_core,
            state=CaseMaterial.State.PROVIDED if material.id in provided else CaseMaterial.State.MISSING,
        )
        for material in matter_type.materials.all()
    )
    _event(case, kind=CaseEvent.Kind.STATUS, actor=actor, note=note or _("登记"), new_status=S.CONSULTATION)
    logger.info("case %s logged by %s", case.tracking_no, actor.username)
    return case


@transaction.atomic
def case_materials_update(*, case_id: int, actor: User, provided_ids: Iterable[int]) -> Case:
    """During consultation: record which materials the applicant has brought (CaseMaterial ids)."""
    case = _lock(case_id)
    if case.status != S.CONSULTATION:
        raise InvalidTransition(
            current=case.status, requested=S.CONSULTATION, message=_("只有咨询中的办件可以修改材料清单。")
        )
    _ensure_can_manage(case, actor)
    provided = set(provided_ids)
    for material in case.materials.all():
        state = CaseMaterial.State.PROVIDED if material.id in provided else CaseMaterial.State.MISSING
        if material.state != state:
            material.state = state
            material.save(update_fields=["state"])
    return case


@transaction.atomic
def case_accept(*, case_id: int, actor: User, note: str = "") -> Case:
    """受理: every material is there. The clock starts."""
    return case_transition(case_id=case_id, to=S.ACCEPTED, actor=actor, note=_typed(note) or _("材料齐全，予以受理"))
