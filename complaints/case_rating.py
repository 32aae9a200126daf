"""一事一评: the citizen rates a completed case once, through the link in the completion SMS.

The link (token, case, handler, expiry) belongs to cases, which sits below this app: it is read through
`cases.selectors.rating_link_for_token` and used up through `cases.services.rating_link_consume`, in the
same transaction as the evaluation, so a rating and the spent link stand or fall together. The rating is
stored as any other (`evaluation_submit`: one first rating per case, bad reviews opened), from the centre's
SMS-link channel (`Channel.Kind.SMS_LINK`, "短信评价链接"), so statistics tell these ratings apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import selectors as case_selectors
from cases import services as case_services
from govservice.exceptions import ValidationFailed
from govservice.models import Centre

from .models import Channel, Evaluation
from .services import evaluation_submit

# What the page shows for a link: open (the form), used, expired or unknown.
OPEN, USED, EXPIRED, UNKNOWN = "open", "used", "expired", "unknown"


@dataclass(frozen=True)
class CaseRatingLink:
    state: str
    centre_name: str = ""
    tracking_no: str = ""
    matter: str = ""
    window_code: str = ""
    window_name: str = ""

    def page_context(self) -> dict[str, object]:
        """What the rating form (complaints/rate.html) names: centre, window, case, as plain values."""
        window = {"code": self.window_code, "name": self.window_name} if self.window_code else None
        case = {"tracking_no": self.tracking_no, "matter_type": {"name": self.matter}}
        return {"centre": {"name": self.centre_name}, "window": window, "case": case}


def case_rating_link_state(*, token: str) -> CaseRatingLink:
    """What the citizen may know about their link: its state and which case (and window) it rates."""
    link = case_selectors.rating_link_for_token(token=token)
    if link is None:
        return CaseRatingLink(state=UNKNOWN)
    state = USED if link.used_at is not None else EXPIRED if link.expires_at <= timezone.now() else OPEN
    case = link.case
    return CaseRatingLink(
        state=state,
        centre_name=case.centre.name,
        tracking_no=case.tracking_no,
        matter=case.matter_type.name,
        window_code=link.window.code if link.window is not None else "",
        window_name=link.window.name if link.window is not None else "",
    )


def sms_link_channel(centre: Centre) -> Channel:
    """The centre's SMS-link channel; created (active) for a centre that has none, so that a link already
    sent never fails for want of reference data. A channel switched off stays off (the rating is refused)."""
    channel = Channel.objects.filter(kind=Channel.Kind.SMS_LINK, centres=centre).order_by("-is_active", "id").first()
    if channel is None:
        channel, _created = Channel.objects.get_or_create(
            code=f"{centre.code}-sms-link"[:40], defaults={"name": _("短信评价链接"), "kind": Channel.Kind.SMS_LINK}
        )
        channel.centres.add(centre)
    if not channel.is_active:
        raise ValidationFailed(_("短信评价暂未开放，请到窗口评价器或扫描窗口二维码评价。"), field="channel")
    return channel


@transaction.atomic
def case_rating_submit(*, token: str, level: int, tags: Iterable[str] = (), text: str = "") -> Evaluation:
    """Record the one rating of the link's case, for the member of staff and window who handled it.

    Raises ValidationFailed (unknown or expired link, bad level or tag), Conflict (link used, or the case
    already rated through another channel); nothing is stored then and the link stays as it was.
    """
    link = case_services.rating_link_consume(token=token)
    case = link.case
    handler = link.handler if link.handler.is_active else None  # someone who left: the case's handler is kept
    return evaluation_submit(
        centre=case.centre,
        channel=sms_link_channel(case.centre),
        level=level,
        staff=handler,
        window=link.window,
        case=case,
        tags=tags,
        text=text,
        is_real_name=True,
        evaluator_name=case.applicant_name,
        evaluator_phone=case.applicant_phone,
    )
