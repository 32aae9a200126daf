"""Hand-over under first-inquiry responsibility (首问负责制): offered to a named colleague, who
accepts or declines with a reason; the first responder stays for good."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.exceptions import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from staff.models import User

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
