"""Turn a channel's references (codes, numbers) into objects and call the complaints services.

References resolve inside the record's centre only, so another centre's window or
staff member reads as "not found" (the complaints services check ownership again).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.selectors import case_by_tracking_no_in, matter_types_of
from complaints import services as complaint_services
from complaints.models import Channel, Complaint, Evaluation, EvaluationInvitation
from complaints.selectors import complaint_by_external_id, evaluation_by_external_id
from govservice import access
from govservice.exceptions import Conflict, ValidationFailed
from govservice.models import Centre
from staff.selectors import active_staff_of, windows_of

from .timestamps import check_channel_time

if TYPE_CHECKING:
    from cases.models import RatingLink

NOT_FOUND = gettext_lazy("所选对象不属于该中心或不存在。")
CASE_NEEDS_INVITATION = gettext_lazy(
    "评价办件须提供该办件的评价邀请码（短信评价链接中的邀请码），或由办理该办件的窗口评价器提交。"
)


def resolve_centre(channel: Channel, code: str | None) -> Centre:
    centres = channel.centres.all()
    if code:
        centre = next((c for c in centres if c.code == code), None)
        if centre is None:
            raise ValidationFailed(_("该渠道不服务于此中心。"), field="centre")
        return centre
    if len(centres) == 1:
        return centres[0]
    raise ValidationFailed(_("该渠道服务多个中心，请填写中心编码。"), field="centre")


def _one(queryset: Any, field: str) -> Any:
    obj = queryset.first()
    if obj is None:
        raise ValidationFailed(str(NOT_FOUND), field=field)
    return obj


def resolve_refs(centre: Centre, data: dict[str, Any]) -> dict[str, Any]:
    refs: dict[str, Any] = {}
    if data.get("window"):
        refs["window"] = _one(windows_of(centre=centre).filter(code=data["window"]), "window")
    if data.get("staff_no"):
        refs["staff"] = _one(active_staff_of(centre=centre).filter(staff_no=data["staff_no"]), "staff_no")
    if data.get("matter_type"):
        refs["matter_type"] = _one(matter_types_of(centre=centre).filter(code=data["matter_type"]), "matter_type")
    if data.get("case"):
        refs["case"] = _one(case_by_tracking_no_in(centre=centre, tracking_no=data["case"]), "case")
    return refs


def evaluation_receive(
    *,
    channel: Channel,
    data: dict[str, Any],
    centre: Centre | None = None,
    savepoint: bool = True,
    from_api: bool = True,
) -> tuple[Evaluation, bool]:
    """(evaluation, created). created is False when the channel re-sent a record it sent before.

    No look-up of the external id first: the unique constraint recognises a resend.
    savepoint=False: see `complaint_services.evaluation_submit_once` (a clash raises
    IntegrityError out of the caller's transaction; call again with savepoint=True).
    from_api=False: a file import started by staff (older dates allowed, cases rated as listed).
    """
    centre = centre or resolve_centre(channel, data.get("centre"))
    external_id = data.get("external_id") or ""
    invitation: EvaluationInvitation | RatingLink | None = None  # RatingLink: the completion SMS's link (cases)
    try:
        if from_api:
            _refuse_unasked_case_rating(channel, data)
        check_channel_time(
            channel=channel, centre=centre, value=data.get("rated_at"), field="rated_at", from_api=from_api
        )
        refs = resolve_refs(centre, data)
        if from_api and refs.get("case") is not None and data.get("invitation"):
            invitation = complaint_services.evaluation_invitation_check(case=refs["case"], token=data["invitation"])
    except (ValidationFailed, Conflict):
        # A resend is answered with the first record even if a reference went away (or its invitation was used) since.
        existing = evaluation_by_external_id(channel=channel, external_id=external_id) if external_id else None
        if existing is not None:
            return existing, False
        raise
    evaluation, created = complaint_services.evaluation_submit_once(
        centre=centre,
        channel=channel,
        level=data["level"],
        text=data.get("text") or "",
        tags=data.get("tags") or (),
        is_real_name=bool(data.get("is_real_name")),
        evaluator_name=data.get("evaluator_name") or "",
        evaluator_phone=data.get("evaluator_phone") or "",
        external_id=external_id,
        rated_at=data.get("rated_at"),
        savepoint=savepoint,
        **refs,
    )
    if created and invitation is not None:
        complaint_services.evaluation_invitation_mark_used(invitation=invitation)
    return evaluation, created


def _refuse_unasked_case_rating(channel: Channel, data: dict[str, Any]) -> None:
    """A case is rated by the channel that served it, or with the case's invitation code; checked before the
    case is looked up, so that the answer tells nothing about which tracking numbers exist."""
    if data.get("case") and not data.get("invitation") and not access.can_rate_case_without_invitation(channel):
        raise ValidationFailed(str(CASE_NEEDS_INVITATION), field="invitation")


def complaint_receive(
    *,
    channel: Channel,
    data: dict[str, Any],
    centre: Centre | None = None,
    savepoint: bool = True,
    from_api: bool = True,
) -> tuple[Complaint, bool]:
    """(complaint, created), as `evaluation_receive`: the unique constraint recognises a resend."""
    centre = centre or resolve_centre(channel, data.get("centre"))
    external_id = data.get("external_id") or ""
    try:
        check_channel_time(
            channel=channel, centre=centre, value=data.get("received_at"), field="received_at", from_api=from_api
        )
        refs = resolve_refs(centre, data)
    except ValidationFailed:
        # A resend is answered with the first record even if a reference went away since.
        existing = complaint_by_external_id(channel=channel, external_id=external_id) if external_id else None
        if existing is not None:
            return existing, False
        raise
    refs.pop("case", None)
    received_at: datetime | None = data.get("received_at")
    return complaint_services.complaint_submit_once(
        centre=centre,
        channel=channel,
        kind=data.get("kind") or Complaint.Kind.COMPLAINT,
        content=data["content"],
        contact_name=data.get("contact_name") or "",
        contact_phone=data.get("contact_phone") or "",
        external_id=external_id,
        received_at=received_at,
        savepoint=savepoint,
        **refs,
    )
