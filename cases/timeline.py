"""The citizen's view of a case's history: a few steps in plain words, from its history rows.

Only what the citizen may know: what happened and when, which materials are awaited until when, why a case
ended. No staff names, no internal notes (hand-overs, warnings, calls, notes are left out), no numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Case, CaseEvent, CaseMaterial, Commitment, RejectReason
from .wording import correction_deadline_phrase, day_month

S = Case.Status


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str  # received | accepted | waiting | material | extended | in_process | completed | ended
    title: str
    detail: str = ""


def _status_step(event: CaseEvent, case: Case, commitment: Commitment | None, current_wait: bool, today: date) -> Step:
    to, at = event.new_status, event.created_at
    if to == S.CONSULTATION:
        return Step(at, "received", _("收到您的申请"))
    if to == S.ACCEPTED:
        return Step(at, "accepted", _("材料齐全，已受理"))
    if to == S.ACCEPTED_DEFICIENT:
        return Step(at, "accepted", _("容缺受理：主要材料齐全，先行受理"))
    if to == S.AWAITING_CORRECTION:
        names = "、".join(m.name for m in case.materials.all() if m.state != CaseMaterial.State.PROVIDED)
        detail = ""
        if commitment is not None:
            first_deadline = commitment.original_deadline or commitment.deadline
            detail = (
                correction_deadline_phrase(deadline=commitment.deadline, today=today)
                if current_wait
                else _("补正期限：%(date)s") % {"date": day_month(first_deadline)}
            )
        return Step(at, "waiting", _("等待补交材料：%(names)s") % {"names": names}, detail)
    if to == S.IN_PROCESS:
        if event.old_status == S.AWAITING_CORRECTION:
            return Step(at, "in_process", _("材料已补齐，继续办理"))
        return Step(at, "in_process", _("正在办理"))
    if to == S.COMPLETED:
        return Step(at, "completed", _("已办结"))
    if to == S.TERMINATED:
        missing = "、".join(m.name for m in case.materials.all() if m.state == CaseMaterial.State.DEFERRED)
        why = (
            _("未在补正期限（%(date)s）前补齐材料：%(names)s。如需继续办理，请备齐全部材料后到窗口重新申请。")
            % {"date": day_month(commitment.deadline), "names": missing}
            if commitment is not None
            else ""
        )
        return Step(at, "ended", _("已终止办理"), why)
    if to == S.REJECTED:
        reason = str(RejectReason(case.reject_reason).label) if case.reject_reason in RejectReason.values else ""
        if case.reject_reason == RejectReason.OTHER_AUTHORITY and case.referred_to:
            reason = _("%(reason)s：%(authority)s") % {"reason": reason, "authority": case.referred_to}
        return Step(at, "ended", _("不予受理"), reason)
    return Step(at, "ended", _("申请已撤回"))


def citizen_timeline(*, case: Case, today: date | None = None) -> list[Step]:
    """The case's steps, oldest first. `case.materials` and `case.events` may be prefetched."""
    today = today or timezone.localdate()
    commitment = Commitment.objects.filter(case=case).first()
    events = [e for e in case.events.all() if e.kind in (CaseEvent.Kind.STATUS, CaseEvent.Kind.EXTENSION)]
    waits = [e for e in events if e.kind == CaseEvent.Kind.STATUS and e.new_status == S.AWAITING_CORRECTION]
    last_wait = waits[-1] if waits and case.status == S.AWAITING_CORRECTION else None
    steps: list[Step] = []
    for event in events:
        if event.kind == CaseEvent.Kind.EXTENSION:
            if commitment is not None:
                steps.append(
                    Step(
                        event.created_at,
                        "extended",
                        _("补正期限延长至%(date)s") % {"date": day_month(commitment.deadline)},
                    )
                )
            continue
        steps.append(_status_step(event, case, commitment, event is last_wait, today))
    for material in case.materials.all():
        if material.state == CaseMaterial.State.RECEIVED and material.received_at:
            steps.append(
                Step(material.received_at, "material", _("已收到补正材料：%(name)s") % {"name": material.name})
            )
    return sorted(steps, key=lambda step: step.at)
