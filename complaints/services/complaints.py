"""Writes for complaints and suggestions: submission, classification, assignment, reply, callback, merge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice import access
from govservice.categories import ProblemCategory
from govservice.crypto import lookup_hash, lookup_hashes
from govservice.exceptions import InvalidTransition, NotPermitted, ValidationFailed
from govservice.models import Centre, Department
from govservice.sealed import sealed_fields
from rectification.models import Problem
from staff.models import User, Window

from ..deadlines import complaint_set_reply_due
from ..models import Channel, Complaint, ComplaintEvent, Evaluation, FeedbackPolicy, WorkOrder
from .common import (
    _check_channel,
    _check_same_centre,
    _new_tracking_no,
    record_changed_after_commit,
)

if TYPE_CHECKING:
    from cases.models import MatterType


def complaint_submit(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str = Complaint.Kind.COMPLAINT,
    contact_name: str = "",
    contact_phone: str = "",
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    external_id: str = "",
    received_at: datetime | None = None,
    actor: User | None = None,
    evaluation: Evaluation | None = None,
) -> Complaint:
    """Record a complaint or suggestion. A re-sent record (same channel and external_id) returns the first."""
    complaint, _created = complaint_submit_once(
        centre=centre,
        channel=channel,
        content=content,
        kind=kind,
        contact_name=contact_name,
        contact_phone=contact_phone,
        window=window,
        staff=staff,
        matter_type=matter_type,
        external_id=external_id,
        received_at=received_at,
        actor=actor,
        evaluation=evaluation,
    )
    return complaint


def _resent_complaint(channel: Channel, external_id: str) -> Complaint | None:
    if not external_id:
        return None
    return Complaint.objects.filter(channel=channel, external_id=external_id).first()


def complaint_submit_once(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str = Complaint.Kind.COMPLAINT,
    contact_name: str = "",
    contact_phone: str = "",
    window: Window | None = None,
    staff: User | None = None,
    matter_type: MatterType | None = None,
    external_id: str = "",
    received_at: datetime | None = None,
    actor: User | None = None,
    evaluation: Evaluation | None = None,
    savepoint: bool = True,
) -> tuple[Complaint, bool]:
    """`complaint_submit`, also saying whether the record is new (False: the channel re-sent it).

    As `evaluation_submit_once`: a resend is recognised by the unique constraint on
    (channel, external_id), not looked up first; savepoint=False has the same contract.
    """
    try:
        complaint = _complaint_build(
            centre=centre,
            channel=channel,
            content=content,
            kind=kind,
            contact_name=contact_name,
            contact_phone=contact_phone,
            window=window,
            staff=staff,
            matter_type=matter_type,
            external_id=external_id,
            received_at=received_at,
            evaluation=evaluation,
        )
    except ValidationFailed:
        # A re-sent record gets the first one back even if it would no longer validate.
        existing = _resent_complaint(channel, external_id)
        if existing is not None:
            return existing, False
        raise
    # savepoint=False: the row and its history join the caller's transaction (or make one).
    with transaction.atomic(savepoint=False):
        try:
            # A savepoint only where the external id can clash, so that the look-up below
            # still works after the clash.
            with transaction.atomic(savepoint=savepoint and bool(external_id)):
                complaint.save()
        except IntegrityError:
            if not savepoint:
                raise  # the transaction is aborted: the caller retries with savepoint=True
            existing = _resent_complaint(channel, external_id)
            if existing is not None:
                return existing, False
            raise
        ComplaintEvent.objects.create(
            complaint=complaint,
            new_status=complaint.status,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            note=_("经%(channel)s受理") % {"channel": channel.name},
        )
        # The feed and the owner's notice: one outbox message, run after the response (govservice/outbox.py).
        record_changed_after_commit(
            complaint, task="complaints.tasks.complaint_received_task", task_args=(complaint.id,)
        )
    return complaint, True


def _complaint_build(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    kind: str,
    contact_name: str,
    contact_phone: str,
    window: Window | None,
    staff: User | None,
    matter_type: MatterType | None,
    external_id: str,
    received_at: datetime | None,
    evaluation: Evaluation | None,
) -> Complaint:
    """Check the rules and return the unsaved row. Reads only; raises ValidationFailed."""
    if kind not in Complaint.Kind.values:
        raise ValidationFailed(_("类型无效。"), field="kind")
    if not content or not content.strip():
        raise ValidationFailed(_("请填写内容。"), field="content")
    _check_channel(channel, centre)
    for obj, field in ((window, "window"), (staff, "staff"), (matter_type, "matter_type"), (evaluation, "evaluation")):
        _check_same_centre(obj, centre, field)
    if staff is not None and window is None:
        window = staff.window
    phone = contact_phone.strip()
    complaint = Complaint(
        tracking_no=_new_tracking_no(centre, "T" if kind == Complaint.Kind.COMPLAINT else "J"),
        centre=centre,
        channel=channel,
        kind=kind,
        content=content.strip(),
        contact_name=contact_name.strip(),
        contact_phone=phone,
        contact_phone_hash=lookup_hash(phone) if phone else "",
        window=window,
        staff=staff,
        matter_type=matter_type,
        external_id=external_id,
        received_at=received_at or timezone.now(),
        evaluation=evaluation,
    )
    complaint_set_reply_due(complaint)
    return complaint


def _lock_complaint(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update().get(id=complaint_id)


def _complaint_move(complaint: Complaint, to: str, *, actor: User | None, note: str = "") -> None:
    if to not in Complaint.TRANSITIONS[complaint.status]:
        raise InvalidTransition(
            current=str(Complaint.Status(complaint.status).label), requested=str(Complaint.Status(to).label)
        )
    ComplaintEvent.objects.create(
        complaint=complaint, old_status=complaint.status, new_status=to, actor=actor, note=note
    )
    complaint.status = to
    record_changed_after_commit(complaint)


def _refuse_if_work_order(complaint: Complaint) -> None:
    """A 12345 work order is answered through its own steps and called back by the hotline (the
    hotline reads both): complaints/services/work_orders.py."""
    if WorkOrder.objects.filter(complaint_id=complaint.id).exists():
        raise ValidationFailed(_("12345工单请通过工单操作办结，回访结果由热线推送。"))


def _require_complaint_staff(actor: User, complaint: Complaint) -> None:
    if not access.can_handle_complaint(actor, complaint):
        raise NotPermitted()


@transaction.atomic
def complaint_classify(
    *, complaint_id: int, category: str, actor: User, problem: Problem | None = None, note: str = ""
) -> Complaint:
    """Staff decide the ProblemCategory (a keyword suggestion is only a hint) and may link a ledger problem."""
    complaint = _lock_complaint(complaint_id)
    if not access.can_classify_complaint(actor, complaint):
        raise NotPermitted()
    if category not in ProblemCategory.values:
        raise ValidationFailed(_("问题类别无效。"), field="category")
    if problem is not None and problem.centre_id != complaint.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="problem")
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=actor,
        note=_("归类为“%(category)s”") % {"category": ProblemCategory(category).label}
        + (f"；{_('关联台账')} {problem.code}" if problem else "")
        + (f"；{note}" if note else ""),
    )
    complaint.category = category
    complaint.problem = problem
    complaint.save(update_fields=["category", "problem", "updated_at"])
    return complaint


@transaction.atomic
def complaint_assign(*, complaint_id: int, department: Department, owner: User, actor: User) -> Complaint:
    complaint = _lock_complaint(complaint_id)
    if not access.can_manage_centre(actor, complaint.centre_id):
        raise NotPermitted()
    if department.centre_id != complaint.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="department")
    if owner.centre_id != complaint.centre_id or not owner.is_active:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="owner")
    note = f"{department.name} · {owner.name}"
    if complaint.status == Complaint.Status.ASSIGNED:
        ComplaintEvent.objects.create(complaint=complaint, actor=actor, note=note)
    else:
        _complaint_move(complaint, Complaint.Status.ASSIGNED, actor=actor, note=note)
    complaint.department = department
    complaint.owner = owner
    complaint.save(update_fields=["status", "department", "owner", "updated_at"])
    from notifications.services import notice_send, notice_text  # noqa: PLC0415

    transaction.on_commit(
        lambda: notice_send(
            recipient=owner,
            key=f"complaint-assigned:{complaint.id}:{owner.id}:{complaint.events.count()}",
            text=notice_text(gettext_noop("投诉建议 %(no)s 已分派给您办理。"), {"no": complaint.tracking_no}),
            url=complaint.get_absolute_url(),
        )
    )
    return complaint


@transaction.atomic
def complaint_reply(*, complaint_id: int, reply: str, actor: User) -> Complaint:
    complaint = _lock_complaint(complaint_id)
    _require_complaint_staff(actor, complaint)
    _refuse_if_work_order(complaint)
    if not reply.strip():
        raise ValidationFailed(_("请填写答复内容。"), field="reply")
    _complaint_move(complaint, Complaint.Status.REPLIED, actor=actor, note=reply.strip())
    complaint.reply = reply.strip()
    complaint.replied_at = timezone.now()
    complaint.save(update_fields=["status", *sealed_fields("reply"), "replied_at", "updated_at"])
    return complaint


@transaction.atomic
def complaint_callback(*, complaint_id: int, satisfied: bool, note: str, actor: User) -> Complaint:
    """The callback: a satisfied citizen closes the matter; an unsatisfied one re-opens it."""
    complaint = _lock_complaint(complaint_id)
    _require_complaint_staff(actor, complaint)
    _refuse_if_work_order(complaint)
    to = Complaint.Status.CLOSED if satisfied else Complaint.Status.REOPENED
    _complaint_move(complaint, to, actor=actor, note=(_("回访满意") if satisfied else _("回访不满意")) + f"：{note}")
    complaint.callback_satisfied = satisfied
    complaint.callback_note = note.strip()
    fields = ["status", "callback_satisfied", *sealed_fields("callback_note"), "updated_at"]
    if not satisfied:
        # Re-opened (重办): a new reply clock of the same working days, from today.
        complaint.reply_clock_start = timezone.now()
        complaint.reply_paused_days, complaint.reply_warned_level = 0, 0
        complaint_set_reply_due(complaint)
        fields += ["reply_clock_start", "reply_due_at", "reply_due_provisional", "reply_paused_days"]
        fields += ["reply_warned_level"]
    complaint.save(update_fields=fields)
    return complaint


@transaction.atomic
def complaint_merge(*, primary_id: int, duplicate_id: int, actor: User) -> Complaint:
    """Merge a duplicate into a primary; the duplicate stays as a source (its channel and text are kept)."""
    if primary_id == duplicate_id:
        raise ValidationFailed(_("不能与自身合并。"), field="duplicate")
    rows = {c.id: c for c in Complaint.objects.select_for_update().filter(id__in=[primary_id, duplicate_id])}
    primary, duplicate = rows.get(primary_id), rows.get(duplicate_id)
    if primary is None or duplicate is None or primary.centre_id != duplicate.centre_id:
        raise ValidationFailed(_("所选对象不属于该中心或不存在。"), field="duplicate")
    if not access.can_manage_centre(actor, primary.centre_id):
        raise NotPermitted()
    if primary.status == Complaint.Status.MERGED:
        raise ValidationFailed(_("不能合并到已被合并的记录。"), field="primary")
    _complaint_move(duplicate, Complaint.Status.MERGED, actor=actor, note=primary.tracking_no)
    duplicate.merged_into = primary
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    ComplaintEvent.objects.create(
        complaint=primary,
        actor=actor,
        note=_("合并来源 %(no)s（%(channel)s）") % {"no": duplicate.tracking_no, "channel": duplicate.channel.name},
    )
    # Sources merged into the duplicate earlier follow it to the primary, so no source is lost.
    Complaint.objects.filter(merged_into=duplicate).update(merged_into=primary, updated_at=timezone.now())
    return primary


def complaint_duplicates(complaint: Complaint) -> list[Complaint]:
    """Likely duplicates: same phone, same matter type, close in time (the centre's window), not merged."""
    phone_hashes = lookup_hashes(complaint.contact_phone)  # the same phone under any lookup key
    if not phone_hashes:
        return []
    days = FeedbackPolicy.for_centre(complaint.centre).duplicate_window_days
    span = timedelta(days=days)
    queryset = (
        Complaint.objects.filter(
            centre_id=complaint.centre_id,
            contact_phone_hash__in=phone_hashes,
            matter_type_id=complaint.matter_type_id,
            received_at__gte=complaint.received_at - span,
            received_at__lte=complaint.received_at + span,
        )
        .exclude(id=complaint.id)
        .exclude(status=Complaint.Status.MERGED)
    )
    return list(queryset.select_related("channel").order_by("received_at")[:10])
