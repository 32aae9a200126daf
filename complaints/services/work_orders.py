"""12345 work orders: an order's arrival on a complaint and every later step, through one transition service.

`work_order_attach` gives a complaint its work order (the push and the batch import both call it, after
`complaint_submit_once`, on the same key: the hotline platform's channel and the order number).
`work_order_transition` takes every step: it locks the order, checks the state table
(`WorkOrder.TRANSITIONS`) and the access rule of the step, records a `WorkOrderEvent` with its actor,
keeps the complaint in step (answered → replied, returned, closed or re-opened after the callback) and
sends `signals.work_order_changed` inside the transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access, workdays
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.sealed import sealed_fields
from staff.models import User

from .. import signals
from ..models import Complaint, ComplaintEvent, FeedbackPolicy, WorkOrder, WorkOrderEvent
from ..work_order_clock import clocks_from, due_after, extended
from .complaints import _complaint_move

Action = WorkOrder.Action
Status = WorkOrder.Status
STAFF_ACTIONS = frozenset({Action.SIGN, Action.RETURN, Action.REQUEST_EXTENSION, Action.ANSWER})
LEADER_ACTIONS = frozenset({Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION})
PLATFORM_ACTIONS = frozenset({Action.CALLBACK})


def _record(
    order: WorkOrder,
    *,
    action: str,
    old: str,
    actor: User | None,
    by_platform: bool,
    note: str = "",
    days: int | None = None,
    callback_result: str = "",
) -> WorkOrderEvent:
    event = WorkOrderEvent.objects.create(
        work_order=order,
        action=action,
        old_status=old,
        new_status=order.status,
        actor=actor,
        by_platform=by_platform,
        note=note,
        days=days,
        callback_result=callback_result,
    )
    signals.work_order_changed.send(sender=WorkOrder, work_order=order, event=event)
    return event


@transaction.atomic
def work_order_attach(*, complaint: Complaint, order_no: str) -> tuple[WorkOrder, bool]:
    """The complaint's work order, made with its clocks when it has none yet: (order, created).

    The complaint must come from a hotline channel with the order number as its external id (the
    key the batch import and the push share). Its answer deadline becomes the order's handling clock.
    """
    order_no = order_no.strip()
    if not order_no:
        raise ValidationFailed(_("请填写工单编号。"), field="order_no")
    complaint = Complaint.objects.select_for_update().select_related("channel", "centre").get(id=complaint.id)
    existing = WorkOrder.objects.filter(complaint=complaint).first()
    if existing is not None:
        return existing, False
    if complaint.external_id != order_no:
        raise ValidationFailed(_("工单编号与投诉的渠道记录编号不一致。"), field="order_no")
    policy = FeedbackPolicy.for_centre(complaint.centre)
    clocks = clocks_from(policy=policy, received_at=complaint.received_at, calendar=workdays.WorkCalendar.load())
    order = WorkOrder.objects.create(
        complaint=complaint,
        channel=complaint.channel,
        order_no=order_no,
        sign_due_at=clocks.sign_due_at,
        sign_working_days=policy.work_order_sign_days,
        return_due_at=clocks.return_due_at,
        handle_due_at=clocks.handle_due_at,
        handle_working_days=policy.work_order_handle_days,
        due_provisional=clocks.provisional,
    )
    # One deadline for the answer: the complaint's reply deadline is the order's handling clock.
    complaint.reply_working_days = policy.work_order_handle_days
    complaint.reply_due_at, complaint.reply_due_provisional = clocks.handle_due_at, clocks.provisional
    complaint.save(update_fields=["reply_working_days", "reply_due_at", "reply_due_provisional", "updated_at"])
    _record(order, action=Action.RECEIVE, old="", actor=None, by_platform=True, note=order_no)
    return order, True


def _check_actor(order: WorkOrder, action: str, actor: User | None, by_platform: bool) -> None:
    if action in PLATFORM_ACTIONS:
        if not by_platform:
            raise NotPermitted(_("回访结果由12345热线平台推送，不能在此录入。"))
        return
    if by_platform or actor is None:
        raise NotPermitted()
    allowed = (
        access.can_decide_work_order_extension(actor, order)
        if action in LEADER_ACTIONS
        else access.can_handle_work_order(actor, order)
    )
    if not allowed:
        raise NotPermitted()


def _repeated_callback(order: WorkOrder, action: str, callback_result: str) -> bool:
    """The hotline re-sent the callback it sent last (same result): nothing to do."""
    if action != Action.CALLBACK:
        return False
    last = order.events.order_by("-created_at", "-id").first()
    return last is not None and last.action == Action.CALLBACK and last.callback_result == callback_result


@transaction.atomic
def work_order_transition(
    *,
    work_order_id: int,
    action: str,
    actor: User | None,
    note: str = "",
    days: int | None = None,
    callback_result: str = "",
    by_platform: bool = False,
) -> WorkOrder:
    """Take one step of a work order (see the module's docstring). Raises InvalidTransition, NotPermitted
    or ValidationFailed (naming the field) and changes nothing then."""
    order = WorkOrder.objects.select_for_update().get(id=work_order_id)
    complaint = Complaint.objects.select_for_update().select_related("centre").get(id=order.complaint_id)
    order.complaint = complaint
    if action not in Action.values or action == Action.RECEIVE:
        raise ValidationFailed(_("未知的工单操作。"), field="action")
    _check_actor(order, action, actor, by_platform)
    if _repeated_callback(order, action, callback_result):
        return order
    table = WorkOrder.TRANSITIONS[order.status]
    if action not in table:
        raise InvalidTransition(
            current=str(Status(order.status).label),
            requested=str(Action(action).label),
            message=_("工单当前为“%(current)s”，不能%(action)s。")
            % {"current": Status(order.status).label, "action": Action(action).label},
        )
    note = note.strip()
    if action in WorkOrder.REASON_REQUIRED and not note:
        raise ValidationFailed(_("请填写理由或办结答复。"), field="note")
    now = timezone.now()
    old = order.status
    order.status = table[action]
    fields = ["status", "updated_at"]
    complaint_fields: list[str] = []
    calendar = workdays.WorkCalendar.load()
    if action == Action.SIGN:
        order.signed_at = now
        fields.append("signed_at")
        if complaint.owner_id is None and actor is not None:
            complaint.owner = actor
            complaint_fields.append("owner")
        if complaint.status in (Complaint.Status.RECEIVED, Complaint.Status.REOPENED):
            _complaint_move(complaint, Complaint.Status.ASSIGNED, actor=actor, note=_("签收12345工单"))
            complaint_fields.append("status")
    elif action == Action.RETURN:
        if now > order.return_due_at:
            raise ValidationFailed(
                _("退回期限（%(due)s）已过，请办理或申请延期。")
                % {"due": f"{timezone.localtime(order.return_due_at):%Y-%m-%d %H:%M}"},
                field="note",
            )
        order.returned_at = now
        fields.append("returned_at")
        _complaint_move(complaint, Complaint.Status.RETURNED, actor=actor, note=_("退回12345热线：") + note)
        complaint_fields.append("status")
    elif action == Action.REQUEST_EXTENSION:
        policy = FeedbackPolicy.for_centre(complaint.centre)
        left = policy.work_order_extension_max_days - order.extended_days
        if days is None or days < 1 or days > left:
            raise ValidationFailed(
                _("延期天数须为 1 至 %(n)d 个工作日。") % {"n": max(left, 0)}
                if left > 0
                else _("已用满最长延期 %(n)d 个工作日，不能再申请延期。") % {"n": policy.work_order_extension_max_days},
                field="days",
            )
        order.extension_days, order.extension_reason = days, note
        order.extension_requested_at, order.extension_requested_by = now, actor
        fields += ["extension_days", "extension_reason", "extension_requested_at", "extension_requested_by"]
    elif action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        days = order.extension_days
        if action == Action.APPROVE_EXTENSION and days:
            order.handle_due_at, provisional = extended(calendar, order.handle_due_at, days)
            order.due_provisional = order.due_provisional or provisional
            order.handle_working_days += days
            order.extended_days += days
            fields += ["handle_due_at", "due_provisional", "handle_working_days", "extended_days"]
            complaint.reply_due_at = order.handle_due_at
            complaint.reply_working_days = (complaint.reply_working_days or 0) + days
            complaint.reply_warned_level = 0
            complaint_fields += ["reply_due_at", "reply_working_days", "reply_warned_level"]
        order.extension_days, order.extension_reason = None, ""
        order.extension_requested_at, order.extension_requested_by = None, None
        fields += ["extension_days", "extension_reason", "extension_requested_at", "extension_requested_by"]
    elif action == Action.ANSWER:
        order.answered_at = now
        fields.append("answered_at")
        _complaint_move(complaint, Complaint.Status.REPLIED, actor=actor, note=note)
        complaint.reply, complaint.replied_at = note, now
        complaint_fields += ["status", *sealed_fields("reply"), "replied_at"]
    elif action == Action.CALLBACK:
        if callback_result not in WorkOrder.CallbackResult.values:
            raise ValidationFailed(_("回访结果无效。"), field="result")
        satisfied = callback_result != WorkOrder.CallbackResult.NOT_SATISFIED
        order.callback_result, order.callback_at = callback_result, now
        fields += ["callback_result", "callback_at"]
        label = WorkOrder.CallbackResult(callback_result).label
        callback_note = f"{_('12345回访')}：{label}" + (f"；{note}" if note else "")
        complaint.callback_satisfied = satisfied
        complaint.callback_note = note
        complaint_fields += ["callback_satisfied", *sealed_fields("callback_note"), "status"]
        if satisfied:
            _complaint_move(complaint, Complaint.Status.CLOSED, actor=None, note=callback_note)
        else:
            # Handled again (重办): a new handling clock of the centre's days, from today.
            order.status = Status.HANDLING
            order.rounds += 1
            policy = FeedbackPolicy.for_centre(complaint.centre)
            order.handle_due_at, order.due_provisional = due_after(calendar, now, policy.work_order_handle_days)
            order.handle_working_days = policy.work_order_handle_days
            order.answered_at = None
            fields += ["rounds", "handle_due_at", "due_provisional", "handle_working_days", "answered_at"]
            _complaint_move(complaint, Complaint.Status.REOPENED, actor=None, note=callback_note)
            complaint.reply_clock_start = now
            complaint.reply_paused_days, complaint.reply_warned_level = 0, 0
            complaint.reply_working_days = policy.work_order_handle_days
            complaint.reply_due_at, complaint.reply_due_provisional = order.handle_due_at, order.due_provisional
            complaint_fields += [
                "reply_clock_start",
                "reply_paused_days",
                "reply_warned_level",
                "reply_working_days",
                "reply_due_at",
                "reply_due_provisional",
            ]
    order.save(update_fields=list(dict.fromkeys(fields)))
    if complaint_fields:
        complaint.save(update_fields=list(dict.fromkeys([*complaint_fields, "updated_at"])))
    if action in (Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        # The complaint's own history says it too (its page shows one timeline).
        text = Action(action).label + (f"（{days} {_('个工作日')}）" if days else "") + (f"：{note}" if note else "")
        ComplaintEvent.objects.create(complaint=complaint, actor=actor, note=text)
    _record(
        order,
        action=action,
        old=old,
        actor=actor,
        by_platform=by_platform,
        note=note,
        days=days if action in (Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION) else None,
        callback_result=callback_result if action == Action.CALLBACK else "",
    )
    return order
