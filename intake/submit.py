"""Turn a channel's references (codes, numbers) into objects and call the complaints services.

References resolve inside the record's centre only, so another centre's window or
staff member reads as "not found" (the complaints services check ownership again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, MatterType
from complaints import services as complaint_services
from complaints.models import Channel, Complaint, Evaluation
from govservice.exceptions import ValidationFailed
from govservice.models import Centre
from staff.models import User, Window

NOT_FOUND = gettext_lazy("所选对象不属于该中心或不存在。")


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
        refs["window"] = _one(Window.objects.filter(centre=centre, code=data["window"]), "window")
    if data.get("staff_no"):
        refs["staff"] = _one(User.objects.filter(centre=centre, staff_no=data["staff_no"], is_active=True), "staff_no")
    if data.get("matter_type"):
        refs["matter_type"] = _one(
            MatterType.objects.filter(centre=centre, code=data["matter_type"], is_active=True), "matter_type"
        )
    if data.get("case"):
        refs["case"] = _one(Case.objects.filter(centre=centre, tracking_no=data["case"]), "case")
    return refs


def evaluation_receive(
    *, channel: Channel, data: dict[str, Any], centre: Centre | None = None, savepoint: bool = True
) -> tuple[Evaluation, bool]:
    """(evaluation, created). created is False when the channel re-sent a record it sent before.

    No look-up of the external id first: the unique constraint recognises a resend.
    savepoint=False: see `complaint_services.evaluation_submit_once` (a clash raises
    IntegrityError out of the caller's transaction; call again with savepoint=True).
    """
    centre = centre or resolve_centre(channel, data.get("centre"))
    external_id = data.get("external_id") or ""
    try:
        refs = resolve_refs(centre, data)
    except ValidationFailed:
        # A resend is answered with the first record even if a reference went away since.
        existing = Evaluation.objects.filter(channel=channel, external_id=external_id).first() if external_id else None
        if existing is not None:
            return existing, False
        raise
    return complaint_services.evaluation_submit_once(
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


def complaint_receive(
    *, channel: Channel, data: dict[str, Any], centre: Centre | None = None, savepoint: bool = True
) -> tuple[Complaint, bool]:
    """(complaint, created), as `evaluation_receive`: the unique constraint recognises a resend."""
    centre = centre or resolve_centre(channel, data.get("centre"))
    external_id = data.get("external_id") or ""
    try:
        refs = resolve_refs(centre, data)
    except ValidationFailed:
        # A resend is answered with the first record even if a reference went away since.
        existing = Complaint.objects.filter(channel=channel, external_id=external_id).first() if external_id else None
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
