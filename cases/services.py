"""Writes for service cases. Every state change goes through `case_transition`.

Each service locks the case row, checks the rule, records a CaseEvent and
queues side effects (SMS outbox rows are written in the same transaction — the
outbox is the point — and in-app notices are sent after commit).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from govservice.crypto import lookup_hash
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from govservice.masking import mask_id_number, scrub
from govservice.workdays import WorkCalendar
from notifications.services import notice_send, sms_cancel, sms_enqueue
from staff.models import Role, User
from staff.selectors import leaders_of

from .clock import clock_compute
from .models import (
    CLOSED_STATUSES,
    ApplicantRecord,
    Assistance,
    AssistanceLog,
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
    DeadlineWarning,
    Handover,
    MatterType,
    PiiAccess,
    RejectReason,
    ReminderCall,
    TrackingCounter,
)

logger = logging.getLogger(__name__)
S = Case.Status

# SMS may only go out in daytime, Asia/Shanghai (the project's TIME_ZONE).
SMS_EARLIEST = time(8, 0)
SMS_LATEST = time(20, 0)
REMINDER_TIME = time(9, 0)  # "the morning of the day"
REMINDER_TEMPLATE = "case_correction_reminder"

# Clock marks written when a case enters a status (see cases/clock.py).
CLOCK_ON_ENTER = {
    S.ACCEPTED: CaseEvent.Clock.START,
    S.ACCEPTED_DEFICIENT: CaseEvent.Clock.START,
    S.AWAITING_CORRECTION: CaseEvent.Clock.PAUSE,
}
# Closing a case needs an outcome; these phrases are "not my business" (推诿) and are no outcome.
NOT_MY_BUSINESS = re.compile(r"不归我|不是我的|不属于我|非本窗口|不关我|找别人|not my (business|job)", re.IGNORECASE)
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


# --- helpers ---------------------------------------------------------------------------


def can_manage_case(case: Case, actor: User) -> bool:
    if actor.is_superuser:
        return True
    if actor.is_city_wide:
        return actor.is_leader
    if actor.centre_id != case.centre_id:
        return False
    return actor.id == case.handler_id or actor.is_leader


def _ensure_can_manage(case: Case, actor: User | None) -> None:
    if actor is not None and not can_manage_case(case, actor):
        raise NotPermitted(_("只有当前承办人或中心领导可以办理此办件。"))


def _lock(case_id: int) -> Case:
    return Case.objects.select_for_update().select_related("matter_type", "centre").get(id=case_id)


def _typed(text: str) -> str:
    """A free-text field as a person typed it, trimmed, with any phone or ID-card number masked:
    notes and reasons are shown to every window of the centre and kept for years."""
    return scrub((text or "").strip())


def _event(case: Case, *, kind: str, actor: User | None, note: str = "", **fields: object) -> CaseEvent:
    # Notes quote what people typed (reasons, call notes): masked here too, whichever service wrote them.
    return CaseEvent.objects.create(case=case, kind=kind, actor=actor, note=scrub(note), **fields)


def _notify_after_commit(recipients: Iterable[User | None], *, key: str, text: str, url: str) -> None:
    people = {user.id: user for user in recipients if user is not None}

    def send() -> None:
        for user in people.values():
            notice_send(recipient=user, key=key, text=text, url=url)

    transaction.on_commit(send)


def applicant_validate(*, kind: str, id_number: str, phone: str) -> tuple[str, str]:
    """Normalised (id_number, phone); raises ValidationFailed naming the field."""
    id_number = (id_number or "").strip().upper().replace(" ", "")
    phone = re.sub(r"[\s]", "", phone or "")
    if kind == Case.ApplicantKind.PERSON:
        if id_number:
            try:
                id_number = ric.validate(id_number)
            except StdnumError as exc:
                raise ValidationFailed(
                    _("居民身份证号码无效（GB 11643 校验未通过）。"), field="applicant_id_number"
                ) from exc
    elif kind == Case.ApplicantKind.ENTERPRISE:
        if not id_number:
            raise ValidationFailed(_("企业申请人须填写统一社会信用代码。"), field="applicant_id_number")
        try:
            id_number = uscc.validate(id_number)
        except StdnumError as exc:
            raise ValidationFailed(
                _("统一社会信用代码无效（GB 32100 校验未通过）。"), field="applicant_id_number"
            ) from exc
    else:
        raise ValidationFailed(_("申请人类型无效。"), field="applicant_kind")
    if phone and not PHONE_RE.match(phone):
        raise ValidationFailed(_("联系电话格式不正确。"), field="applicant_phone")
    return id_number, phone


def tracking_number_allocate(*, centre_id: int, prefix: str, year: int) -> str:
    """GS-2026-000123. The counter row is locked, so two windows never get the same number."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                TrackingCounter.objects.get_or_create(centre_id=centre_id, year=year)
        except IntegrityError:
            pass  # created concurrently by another request: fine, it exists now
        counter = TrackingCounter.objects.select_for_update().get(centre_id=centre_id, year=year)
        TrackingCounter.objects.filter(id=counter.id).update(last_value=F("last_value") + 1)
        counter.refresh_from_db(fields=["last_value"])
    return f"{prefix or 'GS'}-{year}-{counter.last_value:06d}"


# --- the one transition service ------------------------------------------------------------


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
    if actor is None or actor.id != case.first_responder_id:
        _notify_after_commit(
            [case.first_responder],
            key=f"case:{case.id}:status:{to}",
            text=_("办件 %(no)s 状态变更为“%(status)s”。") % {"no": case.tracking_no, "status": S(to).label},
            url=case.get_absolute_url(),
        )
    return case


def case_clock(*, case: Case, calendar: WorkCalendar | None = None, today: date | None = None):
    return clock_compute(
        events=case.events.all(), promised_days=case.matter_type.promised_days, calendar=calendar, today=today
    )


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


def applicant_has_bad_record(*, centre_id: int, id_hash: str) -> bool:
    return bool(id_hash) and ApplicantRecord.objects.filter(centre_id=centre_id, id_hash=id_hash).exists()


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
    if applicant_has_bad_record(centre_id=case.centre_id, id_hash=case.applicant_id_hash):
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


# --- materials, extension, expiry ----------------------------------------------------------


def _reminders_cancel(case: Case) -> None:
    sms_cancel(key_prefix=f"case:{case.id}:correction:")
    ReminderCall.objects.filter(case=case, outcome=ReminderCall.Outcome.PENDING).update(
        outcome=ReminderCall.Outcome.CANCELLED
    )


@transaction.atomic
def case_material_receive(*, case_id: int, case_material_id: int, actor: User) -> Case:
    """One deferred material handed in. The last one resumes the clock and cancels the reminders."""
    case = _lock(case_id)
    if case.status != S.AWAITING_CORRECTION:
        raise InvalidTransition(current=case.status, requested=S.IN_PROCESS, message=_("该办件不在待补正状态。"))
    if actor.centre_id != case.centre_id and not actor.is_city_wide:
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
    if not actor.is_leader or (actor.centre_id != case.centre_id and not actor.is_city_wide):
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
    if case.applicant_id_hash:
        ApplicantRecord.objects.get_or_create(
            case=case,
            kind=ApplicantRecord.Kind.BROKEN,
            defaults={
                "centre_id": case.centre_id,
                "id_hash": case.applicant_id_hash,
                "id_masked": mask_id_number(case.applicant_id_number),
                "note": _("办件 %(no)s 未在期限内补正") % {"no": case.tracking_no},
            },
        )
    _notify_after_commit(
        [case.first_responder, case.handler, *leaders_of(case.centre)],
        key=f"case:{case.id}:terminated",
        text=_("办件 %(no)s 未按期补正，已终止办理。") % {"no": case.tracking_no},
        url=case.get_absolute_url(),
    )
    return True


# --- reminders -------------------------------------------------------------------------


def daytime(moment: datetime) -> datetime:
    """The same moment if it lies in 08:00–20:00 local time, else the next 08:00."""
    local = timezone.localtime(moment)
    if local.time() < SMS_EARLIEST:
        return local.replace(hour=8, minute=0, second=0, microsecond=0)
    if local.time() >= SMS_LATEST:
        return (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    return local


def reminder_key(case: Case, deadline: date, offset: int) -> str:
    return f"case:{case.id}:correction:{deadline.isoformat()}:{offset}"


def reminders_plan(*, case: Case, now: datetime | None = None) -> list[tuple[date, int, datetime | None]]:
    """SMS and phone-call reminders before the correction deadline; idempotent by natural key.

    Returns the plan as (day, offset, SMS send_after or None when it is too late).
    """
    commitment = Commitment.objects.get(case=case)
    now = now or timezone.now()
    calendar = WorkCalendar.load()
    deferred = "、".join(case.materials.filter(state=CaseMaterial.State.DEFERRED).values_list("name", flat=True))
    plan = []
    for offset in case.matter_type.offsets():
        day = calendar.add_working_days(commitment.deadline, -offset).date
        planned = timezone.make_aware(datetime.combine(day, REMINDER_TIME))
        send_after: datetime | None = daytime(max(planned, now))
        if timezone.localtime(send_after).date() > commitment.deadline:
            send_after = None  # the deadline is over before a daytime send is possible
        plan.append((day, offset, send_after))
        if day >= timezone.localdate(now):
            ReminderCall.objects.get_or_create(
                case=case, deadline=commitment.deadline, offset=offset, defaults={"call_on": day}
            )
        if send_after is None or not case.applicant_phone:
            continue
        sms_enqueue(
            key=reminder_key(case, commitment.deadline, offset),
            phone=case.applicant_phone,
            template_code=REMINDER_TEMPLATE,
            params={
                "tracking_no": case.tracking_no,
                "materials": deferred,
                "deadline": commitment.deadline.isoformat(),
                "centre": case.centre.name,
            },
            send_after=send_after,
            centre=case.centre,
        )
    return plan


@transaction.atomic
def reminder_call_record(*, call_id: int, actor: User, outcome: str, note: str = "") -> ReminderCall:
    call = ReminderCall.objects.select_for_update().select_related("case").get(id=call_id)
    if actor.centre_id != call.case.centre_id and not actor.is_city_wide:
        raise NotPermitted()
    if outcome not in ReminderCall.Outcome.values or outcome in (
        ReminderCall.Outcome.PENDING,
        ReminderCall.Outcome.CANCELLED,
    ):
        raise ValidationFailed(_("请选择通话结果。"), field="outcome")
    if call.outcome == ReminderCall.Outcome.CANCELLED:
        raise Conflict(_("该电话提醒已取消。"))
    call.outcome, call.note, call.done_by, call.done_at = outcome, _typed(note), actor, timezone.now()
    call.save(update_fields=["outcome", "note", "done_by", "done_at"])
    _event(
        call.case,
        kind=CaseEvent.Kind.NOTE,
        actor=actor,
        note=_("电话提醒：%(outcome)s %(note)s") % {"outcome": call.get_outcome_display(), "note": call.note},
    )
    return call


# --- clock warnings ---------------------------------------------------------------------------

WARNING_PERCENTS = (50, 80, 100)


@transaction.atomic
def case_clock_warn(*, case: Case, calendar: WorkCalendar | None = None, today: date | None = None) -> list[int]:
    """Warn handler and first responder at 50/80/100 % of the promised time; once per level and due date."""
    state = case_clock(case=case, calendar=calendar, today=today)
    if state.state != "running" or state.due_date is None:
        return []
    given = []
    for percent in WARNING_PERCENTS:
        if state.percent < percent:
            break
        try:
            with transaction.atomic():
                _warning, created = DeadlineWarning.objects.get_or_create(
                    case=case, percent=percent, due_date=state.due_date
                )
        except IntegrityError:
            created = False  # another run got there first
        if not created:
            continue
        given.append(percent)
        text = _("办件 %(no)s 已用时 %(pct)s%%（承诺 %(days)s 个工作日，%(due)s 到期）。") % {
            "no": case.tracking_no,
            "pct": percent,
            "days": state.promised_days,
            "due": state.due_date.isoformat(),
        }
        _event(case, kind=CaseEvent.Kind.WARNING, actor=None, note=text)
        _notify_after_commit(
            [case.handler, case.first_responder],
            key=f"case:{case.id}:clock:{percent}:{state.due_date.isoformat()}",
            text=text,
            url=case.get_absolute_url(),
        )
    return given


STALL_WORKING_DAYS = 3


def case_stall_check(
    *, case: Case, last_event_id: int, last_event_at: datetime, calendar: WorkCalendar, today: date
) -> bool:
    """Tell the first responder (and the handler) when an open case has had no step for 3 working days.

    Once per quiet spell: the key holds the last event, so a new step starts a new spell.
    """
    quiet = calendar.count_working_days(timezone.localdate(last_event_at), today).days
    if quiet < STALL_WORKING_DAYS:
        return False
    key = f"case:{case.id}:stalled:{last_event_id}"
    text = _("办件 %(no)s 已 %(days)s 个工作日没有进展，请跟进。") % {"no": case.tracking_no, "days": quiet}
    for user in {case.first_responder_id: case.first_responder, case.handler_id: case.handler}.values():
        notice_send(recipient=user, key=key, text=text, url=case.get_absolute_url())
    return True


# --- hand-over (首问负责制) ------------------------------------------------------------------


@transaction.atomic
def case_handover_offer(*, case_id: int, actor: User, to_user_id: int, reason: str) -> Handover:
    reason = _typed(reason)
    case = _lock(case_id)
    if actor.id != case.handler_id:
        raise NotPermitted(_("只有当前承办人可以转交。"))
    if case.status in CLOSED_STATUSES:
        raise InvalidTransition(current=case.status, requested="handover", message=_("已结束的办件不能转交。"))
    if not reason.strip():
        raise ValidationFailed(_("请写明转交理由。"), field="reason")
    if NOT_MY_BUSINESS.search(reason):
        raise ValidationFailed(_("转交须写明具体理由，“不归我管”不是理由。"), field="reason")
    receiver = User.objects.filter(id=to_user_id, is_active=True, centre_id=case.centre_id).first()
    if receiver is None or receiver.id == actor.id:
        raise ValidationFailed(_("请选择本中心的另一名工作人员。"), field="to_user")
    if Handover.objects.filter(case=case, state=Handover.State.OFFERED).exists():
        raise Conflict(_("该办件已有待接收的转交。"))
    handover = Handover.objects.create(case=case, from_user=actor, to_user=receiver, reason=reason.strip())
    _event(
        case,
        kind=CaseEvent.Kind.HANDOVER,
        actor=actor,
        note=_("提出转交给 %(to)s：%(reason)s") % {"to": receiver, "reason": handover.reason},
    )
    _notify_after_commit(
        [receiver],
        key=f"case:{case.id}:handover:{handover.id}",
        text=_("%(from)s 请您接收办件 %(no)s：%(reason)s")
        % {"from": actor, "no": case.tracking_no, "reason": handover.reason},
        url=case.get_absolute_url(),
    )
    return handover


@transaction.atomic
def case_handover_respond(*, handover_id: int, actor: User, accept: bool, reason: str = "") -> Handover:
    reason = _typed(reason)
    handover = Handover.objects.select_for_update().get(id=handover_id)
    case = _lock(handover.case_id)
    if actor.id != handover.to_user_id:
        raise NotPermitted(_("只有被转交人可以答复。"))
    if handover.state != Handover.State.OFFERED:
        raise Conflict(_("该转交已答复。"))
    if not accept and not reason.strip():
        raise ValidationFailed(_("拒绝接收须写明理由。"), field="reason")
    if accept and case.handler_id != handover.from_user_id:
        raise Conflict(_("承办人已变化，该转交失效。"))
    handover.state = Handover.State.ACCEPTED if accept else Handover.State.DECLINED
    handover.response_reason = reason.strip()
    handover.responded_at = timezone.now()
    handover.save(update_fields=["state", "response_reason", "responded_at"])
    if accept:
        Case.objects.filter(id=case.id).update(handler=actor, updated_at=timezone.now())
        note = _("%(to)s 接收办件，成为当前承办人") % {"to": actor}
    else:
        note = _("%(to)s 拒绝接收：%(reason)s") % {"to": actor, "reason": handover.response_reason}
    _event(case, kind=CaseEvent.Kind.HANDOVER, actor=actor, note=note)
    _notify_after_commit(
        [handover.from_user, case.first_responder],
        key=f"case:{case.id}:handover:{handover.id}:{handover.state}",
        text=_("办件 %(no)s：%(note)s") % {"no": case.tracking_no, "note": note},
        url=case.get_absolute_url(),
    )
    return handover


@transaction.atomic
def case_handover_withdraw(*, handover_id: int, actor: User) -> Handover:
    handover = Handover.objects.select_for_update().get(id=handover_id)
    if actor.id != handover.from_user_id:
        raise NotPermitted()
    if handover.state != Handover.State.OFFERED:
        raise Conflict(_("该转交已答复。"))
    handover.state, handover.responded_at = Handover.State.WITHDRAWN, timezone.now()
    handover.save(update_fields=["state", "responded_at"])
    _event(handover.case, kind=CaseEvent.Kind.HANDOVER, actor=actor, note=_("撤回转交"))
    return handover


# --- personal data --------------------------------------------------------------------------


def can_see_full_pii(case: Case, user: User) -> bool:
    """Those who must call or identify the applicant: handler, first responder, assigned helper, leaders."""
    if user.is_superuser:
        return True
    if user.centre_id != case.centre_id:
        return False
    if user.id in (case.handler_id, case.first_responder_id) or user.is_leader:
        return True
    try:
        return case.assistance.helper_id == user.id  # selected with the case on its page
    except Assistance.DoesNotExist:
        return False


@transaction.atomic
def case_pii_reveal(*, case: Case, viewer: User, field: str) -> str:
    """The full phone or ID number, for a role that needs it; every view is recorded."""
    if field not in ("phone", "id_number"):
        raise ValidationFailed(_("字段无效。"), field="field")
    if not can_see_full_pii(case, viewer):
        raise NotPermitted(_("您无权查看完整的个人信息。"))
    PiiAccess.objects.create(case=case, viewer=viewer, field=field)
    logger.info("personal data viewed: case=%s field=%s viewer=%s", case.tracking_no, field, viewer.username)
    return case.applicant_phone if field == "phone" else case.applicant_id_number


# --- assisted handling (帮办代办) ------------------------------------------------------------


@transaction.atomic
def assistance_assign(*, case_id: int, actor: User, helper_id: int) -> Assistance:
    case = _lock(case_id)
    if actor.centre_id != case.centre_id and not actor.is_city_wide:
        raise NotPermitted()
    if not case.is_special_group:
        raise ValidationFailed(_("帮办代办面向老年人、残疾人等特殊群体。"), field="case")
    helper = User.objects.filter(
        id=helper_id, is_active=True, centre_id=case.centre_id, roles__role=Role.HELPER
    ).first()
    if helper is None:
        raise ValidationFailed(_("请选择本中心的帮办员。"), field="helper")
    assistance, created = Assistance.objects.get_or_create(case=case, defaults={"helper": helper, "assigned_by": actor})
    if not created and assistance.helper_id != helper.id:
        assistance.helper, assistance.assigned_by, assistance.assigned_at = helper, actor, timezone.now()
        assistance.save(update_fields=["helper", "assigned_by", "assigned_at"])
    _event(case, kind=CaseEvent.Kind.ASSIST, actor=actor, note=_("指派帮办员 %(helper)s") % {"helper": helper})
    _notify_after_commit(
        [helper],
        key=f"case:{case.id}:assist:{helper.id}",
        text=_("请为办件 %(no)s 提供帮办代办服务。") % {"no": case.tracking_no},
        url=case.get_absolute_url(),
    )
    return assistance


@transaction.atomic
def assistance_log_add(*, case_id: int, actor: User, action: str, note: str = "") -> AssistanceLog:
    assistance = Assistance.objects.select_for_update().select_related("case").filter(case_id=case_id).first()
    if assistance is None or assistance.helper_id != actor.id:
        raise NotPermitted(_("只有指派的帮办员可以记录帮办内容。"))
    if action not in AssistanceLog.Action.values:
        raise ValidationFailed(_("请选择帮办内容。"), field="action")
    log = AssistanceLog.objects.create(assistance=assistance, action=action, note=_typed(note), helper=actor)
    _event(
        assistance.case, kind=CaseEvent.Kind.ASSIST, actor=actor, note=f"{log.get_action_display()} {log.note}".strip()
    )
    return log


@transaction.atomic
def assistance_rate(*, case_id: int, actor: User, satisfaction: int) -> Assistance:
    assistance = Assistance.objects.select_for_update().select_related("case").filter(case_id=case_id).first()
    if assistance is None:
        raise ValidationFailed(_("该办件没有帮办代办记录。"), field="case")
    if actor.centre_id != assistance.case.centre_id and not actor.is_city_wide:
        raise NotPermitted()
    if assistance.case.status != S.COMPLETED:
        raise ValidationFailed(_("办结后才能记录满意度。"), field="satisfaction")
    if satisfaction not in Assistance.Satisfaction.values:
        raise ValidationFailed(_("满意度无效。"), field="satisfaction")
    assistance.satisfaction, assistance.rated_at = satisfaction, timezone.now()
    assistance.save(update_fields=["satisfaction", "rated_at"])
    return assistance
