"""Hand-over under first-inquiry responsibility (首问负责制): offered to a named colleague, who
accepts or declines with a reason; the first responder stays for good."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from notifications.services import notice_text
from staff.models import User
from staff.selectors import active_person_of

from ..models import (
    CLOSED_STATUSES,
    Case,
    CaseEvent,
    Handover,
)
from ._common import NOT_MY_BUSINESS, _event, _lock, _notify_after_commit, _typed


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
    receiver = active_person_of(centre_id=case.centre_id, id=to_user_id)
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
        text=notice_text(
            gettext_noop("%(from)s 请您接收办件 %(no)s：%(reason)s"),
            {"from": actor, "no": case.tracking_no, "reason": handover.reason},
        ),
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
        text=notice_text(gettext_noop("办件 %(no)s：%(note)s"), {"no": case.tracking_no, "note": note}),
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


# --- a person leaves or is away: a leader moves their work (staff.workload) ------------------------


def _check_new_owner(case: Case, actor: User, to_user: User) -> None:
    if not access.can_reassign_work(actor, case.centre_id):
        raise NotPermitted(_("只有本中心领导可以转交他人的工作。"))
    if not to_user.is_active or to_user.centre_id != case.centre_id:
        raise ValidationFailed(_("请选择本中心另一名在岗人员。"), field="to_user")


@transaction.atomic
def case_reassign(*, case_id: int, from_user: User, to_user: User, actor: User, reason: str) -> Case:
    """A leader makes `to_user` the handler of a case `from_user` handles (absence, leaving).

    The first responder (首问负责人) never changes; an open hand-over offer the old handler made lapses."""
    reason = _typed(reason)
    case = _lock(case_id)
    _check_new_owner(case, actor, to_user)
    if case.status in CLOSED_STATUSES or case.handler_id != from_user.id:
        raise Conflict(_("办件 %(no)s 已不由 %(person)s 承办。") % {"no": case.tracking_no, "person": from_user})
    if to_user.id == case.handler_id:
        return case
    lapsed = Handover.objects.select_for_update().filter(case=case, state=Handover.State.OFFERED, from_user=from_user)
    for offer in lapsed:
        offer.state, offer.responded_at = Handover.State.WITHDRAWN, timezone.now()
        offer.save(update_fields=["state", "responded_at"])
        _event(case, kind=CaseEvent.Kind.HANDOVER, actor=actor, note=_("承办人变更，原转交失效"))
    Case.objects.filter(id=case.id).update(handler=to_user, updated_at=timezone.now())
    note = _("%(actor)s 将承办人由 %(old)s 改为 %(new)s：%(reason)s") % {
        "actor": actor,
        "old": from_user,
        "new": to_user,
        "reason": reason,
    }
    _event(case, kind=CaseEvent.Kind.HANDOVER, actor=actor, note=note)
    # The first responder stays accountable (首问负责制): they learn who follows the case now.
    _notify_after_commit(
        [case.first_responder] if case.first_responder_id not in (to_user.id, actor.id) else [],
        key=f"case:{case.id}:reassigned:{to_user.id}:{case.events.count()}",
        text=notice_text(gettext_noop("办件 %(no)s：%(note)s"), {"no": case.tracking_no, "note": note}),
        url=case.get_absolute_url(),
    )
    case.refresh_from_db()
    return case


@transaction.atomic
def case_handover_redirect(*, handover_id: int, from_user: User, to_user: User, actor: User, reason: str) -> Handover:
    """A leader sends an unanswered hand-over offer addressed to `from_user` to `to_user` instead.

    The offer's clock (reminder, escalation) starts again for the new receiver."""
    reason = _typed(reason)
    handover = Handover.objects.select_for_update().get(id=handover_id)
    case = _lock(handover.case_id)
    _check_new_owner(case, actor, to_user)
    if handover.state != Handover.State.OFFERED or handover.to_user_id != from_user.id:
        raise Conflict(_("办件 %(no)s 的转交已答复或已改派。") % {"no": case.tracking_no})
    if to_user.id == handover.from_user_id:
        raise ValidationFailed(
            _("办件 %(no)s 的转交不能改派给转出人本人。") % {"no": case.tracking_no}, field="to_user"
        )
    handover.to_user = to_user
    handover.offered_at = timezone.now()
    handover.reminded_at = handover.escalated_at = None
    handover.save(update_fields=["to_user", "offered_at", "reminded_at", "escalated_at"])
    _event(
        case,
        kind=CaseEvent.Kind.HANDOVER,
        actor=actor,
        note=_("%(actor)s 将待接收的转交由 %(old)s 改派给 %(new)s：%(reason)s")
        % {"actor": actor, "old": from_user, "new": to_user, "reason": reason},
    )
    return handover
