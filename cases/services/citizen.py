"""What the citizen is told by SMS when a case ends, and the one-time rating link (一事一评).

Termination (终止办理, the correction deadline missed) says why and what to do next; completion carries the
rating link. Both go through the outbox (`sms_enqueue`), written in the case's transaction like the
reminders, so the notifications rules apply as for every SMS: daytime only (08:00–20:00, the templates do
not allow night), the per-number daily cap and the number's opt-out. The wording is the templates'
(`TEMPLATE_*`, seeded by migration, edited as new versions in the admin); the parameters are written in the
site's language whatever the language of the member of staff who closed the case.

The link's token is random; only its sha256 is stored (`RatingLink.token_hash`). The page that takes the
rating lives in complaints (it sits above cases), which reads the link through `cases.selectors` and uses
it up through `rating_link_consume`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from govservice.exceptions import Conflict, ValidationFailed
from notifications.services import sms_enqueue

from ..models import RATING_LINK_VALID_DAYS, Case, CaseMaterial, Commitment, RatingLink, rating_token_hash
from ..wording import day_month
from .reminders import daytime

TEMPLATE_TERMINATED = "case_terminated"
TEMPLATE_COMPLETED = "case_completed_rating"
RATING_URL_NAME = "complaints:case-rating"  # the page (complaints) the link opens, reversed by name only


def _sms_params(case: Case, **extra: str) -> dict[str, str]:
    return {"centre": case.centre.name, "matter": case.matter_type.name, "tracking_no": case.tracking_no, **extra}


def case_terminated_notify(*, case: Case) -> None:
    """Queue the termination SMS: which materials were missing by which date, and what to do now.

    Called by `case_transition` on entering TERMINATED (only reachable from awaiting correction, after the
    deadline); once per case by the message's key.
    """
    if not case.applicant_phone:
        return
    commitment = Commitment.objects.filter(case=case).first()
    names = case.materials.filter(state=CaseMaterial.State.DEFERRED).values_list("name", flat=True)
    with translation.override(settings.LANGUAGE_CODE):
        params = _sms_params(
            case,
            deadline=day_month(commitment.deadline) if commitment else "",
            materials="、".join(names),
        )
    sms_enqueue(
        key=f"case:{case.id}:terminated",
        phone=case.applicant_phone,
        template_code=TEMPLATE_TERMINATED,
        params=params,
        send_after=daytime(timezone.now()),
        centre=case.centre,
    )


def case_completed_notify(*, case: Case) -> RatingLink | None:
    """Create the case's rating link and queue the completion SMS that carries it (once per case).

    Returns the link (None for a case without a phone number: nobody to send it to). Its token is only in
    the SMS; a second call finds the link and queues nothing new.
    """
    if not case.applicant_phone:
        return None
    existing = RatingLink.objects.filter(case=case).first()
    if existing is not None:
        return existing
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    handler = case.handler
    link = RatingLink.objects.create(
        case=case,
        token_hash=rating_token_hash(token),
        handler=handler,
        window=handler.window or case.window,
        created_at=now,
        expires_at=now + timedelta(days=RATING_LINK_VALID_DAYS),
    )
    url = settings.PUBLIC_BASE_URL.rstrip("/") + reverse(RATING_URL_NAME, args=[token])
    with translation.override(settings.LANGUAGE_CODE):
        params = _sms_params(case, url=url, valid_until=day_month(timezone.localdate(link.expires_at)))
    sms_enqueue(
        key=f"case:{case.id}:completed",
        phone=case.applicant_phone,
        template_code=TEMPLATE_COMPLETED,
        params=params,
        send_after=daytime(now),
        centre=case.centre,
    )
    return link


@transaction.atomic
def rating_link_consume(*, token: str) -> RatingLink:
    """Use the link up (locked; the caller's transaction records the rating with it). Raises when it cannot:
    an unknown token or an expired link (ValidationFailed), a link already used (Conflict)."""
    link = (
        RatingLink.objects.select_for_update(of=("self",))  # PostgreSQL locks no outer-joined (nullable) row
        .select_related("case__centre", "case__matter_type", "handler", "window")
        .filter(token_hash=rating_token_hash(token or ""))
        .first()
    )
    if link is None:
        raise ValidationFailed(_("评价链接无效。"), field="token")
    if link.is_used:
        raise Conflict(_("该评价链接已使用过，每个办件只能评价一次。"), field="token")
    if link.is_expired():
        raise ValidationFailed(_("该评价链接已过期（有效期 7 天）。"), field="token")
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link


def rating_link_mark_used(*, link_id: int) -> bool:
    """The link was used by a rating stored in the caller's transaction through another door (a channel's API
    call with the link's token as its invitation code); compare-and-set, True if this call used it up."""
    return bool(RatingLink.objects.filter(pk=link_id, used_at__isnull=True).update(used_at=timezone.now()))
