"""Background work for feedback: tell owners about new items, warn about overdue steps.

Tasks take ids and are idempotent: notices have natural keys (`notice_send` creates
one per key) and overdue warnings are claimed with a compare-and-set on a
`*_warned_at` column, so running a task twice warns once.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import notice_send
from staff.selectors import leaders_of

from .deadlines import bad_review_contact_overdue, bad_review_rectify_overdue, escalation_overdue
from .models import BadReview, Complaint, Escalation


@shared_task(acks_late=True)
def bad_review_opened_task(bad_review_id: int) -> None:
    bad_review = BadReview.objects.select_related("owner", "evaluation").filter(id=bad_review_id).first()
    if bad_review is None or bad_review.owner is None:
        return
    notice_send(
        recipient=bad_review.owner,
        key=f"bad-review-opened:{bad_review.id}",
        text=_("新差评待处置，请于 %(date)s 前联系评价人。") % {"date": bad_review.contact_due},
        url=f"/feedback/bad-reviews/{bad_review.id}/",
    )


@shared_task(acks_late=True)
def complaint_received_task(complaint_id: int) -> None:
    complaint = Complaint.objects.filter(id=complaint_id).select_related("centre").first()
    if complaint is None:
        return
    from staff.models import Role
    from staff.selectors import active_staff_with_roles

    for admin in active_staff_with_roles(centre=complaint.centre, roles=(Role.CENTRE_ADMIN,)):
        notice_send(
            recipient=admin,
            key=f"complaint-received:{complaint.id}",
            text=_("收到新的投诉建议 %(no)s，请归类分派。") % {"no": complaint.tracking_no},
            url=complaint.get_absolute_url(),
        )


def _warn(*, owner, centre, key: str, text: str, url: str) -> int:
    recipients = {u.id: u for u in leaders_of(centre)}
    if owner is not None:
        recipients[owner.id] = owner
    for user in recipients.values():
        notice_send(recipient=user, key=key, text=text, url=url)
    return len(recipients)


@shared_task(acks_late=True)
def feedback_warn_overdue_task() -> int:
    """Warn the owner and the centre's leaders about overdue bad-review steps and escalations (once each)."""
    today = timezone.localdate()
    now = timezone.now()
    warned = 0
    contact_late = BadReview.objects.filter(bad_review_contact_overdue(today), contact_warned_at__isnull=True)
    for bad_review in contact_late.select_related("owner", "centre"):
        if BadReview.objects.filter(id=bad_review.id, contact_warned_at__isnull=True).update(contact_warned_at=now):
            warned += _warn(
                owner=bad_review.owner,
                centre=bad_review.centre,
                key=f"bad-review-overdue:{bad_review.id}:contact",
                text=_("差评逾期未联系评价人（时限 %(date)s）。") % {"date": bad_review.contact_due},
                url=f"/feedback/bad-reviews/{bad_review.id}/",
            )
    rectify_late = BadReview.objects.filter(bad_review_rectify_overdue(today), rectify_warned_at__isnull=True)
    for bad_review in rectify_late.select_related("owner", "centre"):
        if BadReview.objects.filter(id=bad_review.id, rectify_warned_at__isnull=True).update(rectify_warned_at=now):
            warned += _warn(
                owner=bad_review.owner,
                centre=bad_review.centre,
                key=f"bad-review-overdue:{bad_review.id}:rectify",
                text=_("差评逾期未整改（时限 %(date)s）。") % {"date": bad_review.rectify_due},
                url=f"/feedback/bad-reviews/{bad_review.id}/",
            )
    escalations_late = Escalation.objects.filter(escalation_overdue(today), overdue_warned_at__isnull=True)
    for escalation in escalations_late.select_related("received_by", "centre"):
        if Escalation.objects.filter(id=escalation.id, overdue_warned_at__isnull=True).update(overdue_warned_at=now):
            warned += _warn(
                owner=escalation.received_by,
                centre=escalation.centre,
                key=f"escalation-overdue:{escalation.id}",
                text=_("办不成事反映 %(no)s 已超过答复时限 %(date)s。")
                % {"no": escalation.tracking_no, "date": escalation.due_date},
                url=f"/feedback/escalations/{escalation.public_id}/",
            )
    return warned


@shared_task(acks_late=True)
def evaluation_invite_completed_task(days: int = 3) -> int:
    """Invite the applicants of recently completed cases to rate them (一事一评), once per case.

    The cases app may call `services.evaluation_invite` itself on completion; this sweep
    catches every completed case either way. `evaluation_invite` is idempotent per case and
    applies the per-phone period, so running twice sends nothing new.
    """
    from datetime import timedelta

    from cases.selectors import cases_completed_since

    from .services import evaluation_invite

    since = timezone.now() - timedelta(days=days)
    candidates = (
        cases_completed_since(since)
        .exclude(applicant_phone_hash="")
        # rating_link: the completion SMS already carried the case's rating link (cases, 一事一评).
        .filter(evaluation_invitation__isnull=True, evaluations__isnull=True, rating_link__isnull=True)
        .select_related("centre")
        .order_by("completed_at")
    )
    sent = 0
    for case in candidates[:500]:
        if evaluation_invite(case=case) is not None:
            sent += 1
    return sent
