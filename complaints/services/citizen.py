"""Writes the citizen makes without a login: a complaint from the rating page, "not solved", the rating of the handling.

A complaint needs a way to answer it: a phone, another contact, or the citizen's explicit choice to
complain anonymously (then no reply can be sent and the tracking number is the only way to read the
answer). On the public status page (complaints/public_status.py) the citizen may say once that the
answer did not solve the matter (答复未解决: the complaint is reopened to the centre's leaders with the
citizen's reason) and rate the handling once. Each writes a history row whose actor is the citizen
(`ActorKind.CITIZEN`, verified by the last four digits of their phone) or an anonymous one.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.exceptions import Conflict, InvalidTransition, ValidationFailed
from govservice.models import Centre
from staff.models import Window
from staff.selectors import leaders_of

from ..models import ActorKind, Channel, Complaint, ComplaintEvent, Evaluation, EvaluationLevel
from .common import record_changed_after_commit
from .complaints import complaint_submit

CONTACT_OTHER_MAX = 100


def complaint_contact_check(*, contact_phone: str, contact_other: str, anonymous: bool) -> None:
    """A complaint can be answered (a phone or another contact) or is anonymous by the citizen's explicit choice."""
    if anonymous:
        return
    if not contact_phone.strip() and not contact_other.strip():
        raise ValidationFailed(
            _("请留下手机号或其他联系方式；不留联系方式请勾选“匿名投诉”（匿名投诉无法收到答复）。"),
            field="contact_other",
        )


@transaction.atomic
def complaint_submit_by_citizen(
    *,
    centre: Centre,
    channel: Channel,
    content: str,
    contact_phone: str = "",
    contact_other: str = "",
    anonymous: bool = False,
    window: Window | None = None,
    evaluation: Evaluation | None = None,
) -> Complaint:
    """A complaint from the public rating page; an anonymous one keeps no contact at all."""
    complaint_contact_check(contact_phone=contact_phone, contact_other=contact_other, anonymous=anonymous)
    if len(contact_other.strip()) > CONTACT_OTHER_MAX:
        raise ValidationFailed(_("其他联系方式不能超过 %(n)s 个字。") % {"n": CONTACT_OTHER_MAX}, field="contact_other")
    complaint = complaint_submit(
        centre=centre,
        channel=channel,
        content=content,
        contact_phone="" if anonymous else contact_phone,
        window=window,
        evaluation=evaluation,
    )
    complaint.is_anonymous = anonymous
    complaint.contact_other = "" if anonymous else contact_other.strip()
    complaint.save(update_fields=["is_anonymous", "contact_other", "updated_at"])
    return complaint


def _check_actor_kind(actor_kind: str) -> None:
    if actor_kind not in ActorKind.values:
        raise ValueError(f"unknown actor kind {actor_kind!r}")


@transaction.atomic
def complaint_citizen_reopen(*, complaint_id: int, reason: str, actor_kind: str) -> Complaint:
    """答复未解决: the citizen reopens a replied complaint to the leaders, with a reason; once per complaint."""
    _check_actor_kind(actor_kind)
    complaint = Complaint.objects.select_for_update().select_related("centre").get(id=complaint_id)
    if complaint.citizen_reopened_at is not None:
        raise Conflict(
            _("您已申请过一次重新办理，不能再次申请。如仍有意见，请拨打 12345 热线或到“办不成事”反映窗口反映。"),
            field="reason",
        )
    if complaint.citizen_rating is not None:
        raise Conflict(_("您已评价本次办理，不能再申请重新办理。"), field="reason")
    if complaint.status != Complaint.Status.REPLIED:
        raise InvalidTransition(
            current=str(Complaint.Status(complaint.status).label),
            requested=str(Complaint.Status.REOPENED.label),
            message=_("只有已答复的投诉可以申请重新办理。"),
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("请写明答复为什么没有解决您的问题。"), field="reason")
    if len(reason) > 1000:
        raise ValidationFailed(_("理由不能超过 1000 个字。"), field="reason")
    ComplaintEvent.objects.create(
        complaint=complaint,
        old_status=complaint.status,
        new_status=Complaint.Status.REOPENED,
        actor=None,
        actor_kind=actor_kind,
        note=_("群众认为答复未解决：%(reason)s") % {"reason": reason},
    )
    complaint.status = Complaint.Status.REOPENED
    complaint.citizen_reopened_at = timezone.now()
    complaint.citizen_reopen_reason = reason
    complaint.save(update_fields=["status", "citizen_reopened_at", "citizen_reopen_reason", "updated_at"])
    record_changed_after_commit(complaint)
    _tell_leaders(complaint)
    return complaint


def _tell_leaders(complaint: Complaint) -> None:
    from notifications.services import notice_send, notice_text  # noqa: PLC0415 - as complaint_assign

    leaders = list(leaders_of(complaint.centre).distinct())
    text = notice_text(
        gettext_noop("投诉 %(no)s：群众认为答复未解决，已重新办理，请领导督办。"), {"no": complaint.tracking_no}
    )
    url = reverse("complaints:complaint-detail", args=[complaint.public_id])

    def send() -> None:
        for leader in leaders:
            notice_send(
                recipient=leader, key=f"complaint-citizen-reopened:{complaint.id}:{leader.id}", text=text, url=url
            )

    transaction.on_commit(send)


RATABLE = (Complaint.Status.REPLIED, Complaint.Status.CLOSED)


@transaction.atomic
def complaint_citizen_rate(*, complaint_id: int, level: int, note: str = "", actor_kind: str) -> Complaint:
    """The citizen rates the handling of an answered complaint, once; recorded on the complaint."""
    _check_actor_kind(actor_kind)
    complaint = Complaint.objects.select_for_update().get(id=complaint_id)
    if complaint.citizen_rating is not None:
        raise Conflict(_("您已评价过本次办理（一次一评）。"), field="level")
    if complaint.status not in RATABLE:
        raise ValidationFailed(_("投诉答复后才能评价办理结果。"), field="level")
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in EvaluationLevel.values:
        raise ValidationFailed(_("评价等级须为 1 到 5。"), field="level")
    note = note.strip()
    if len(note) > 500:
        raise ValidationFailed(_("评价说明不能超过 500 个字。"), field="note")
    ComplaintEvent.objects.create(
        complaint=complaint,
        actor=None,
        actor_kind=actor_kind,
        note=_("群众评价办理结果：%(level)s") % {"level": EvaluationLevel(level).label} + (f"；{note}" if note else ""),
    )
    complaint.citizen_rating = level
    complaint.citizen_rating_note = note
    complaint.citizen_rated_at = timezone.now()
    complaint.save(update_fields=["citizen_rating", "citizen_rating_note", "citizen_rated_at", "updated_at"])
    record_changed_after_commit(complaint)
    return complaint
