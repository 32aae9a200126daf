"""Background work for feedback: tell owners about new items, warn about overdue steps.

Tasks take ids and are idempotent: notices have natural keys (`notice_send` creates
one per key) and overdue warnings are claimed with a compare-and-set on a
`*_warned_at` column, so running a task twice warns once.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext_noop

from notifications.services import NoticeText, notice_send, notice_text
from staff.selectors import leaders_of

from .deadlines import (
    COMPLAINT_AWAITING_REPLY,
    bad_review_contact_overdue,
    bad_review_rectify_overdue,
    escalation_overdue,
    reply_warning_level_reached,
)
from .models import BadReview, Complaint, Escalation


@shared_task(acks_late=True)
def bad_review_opened_task(bad_review_id: int) -> None:
    bad_review = BadReview.objects.select_related("owner", "evaluation").filter(id=bad_review_id).first()
    if bad_review is None or bad_review.owner is None:
        return
    notice_send(
        recipient=bad_review.owner,
        key=f"bad-review-opened:{bad_review.id}",
        text=notice_text(gettext_noop("新差评待处置，请于 %(date)s 前联系评价人。"), {"date": bad_review.contact_due}),
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
            text=notice_text(gettext_noop("收到新的投诉建议 %(no)s，请归类分派。"), {"no": complaint.tracking_no}),
            url=complaint.get_absolute_url(),
        )


def _warn(*, owner, centre, key: str, text: str | NoticeText, url: str) -> int:
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
                text=notice_text(
                    gettext_noop("差评逾期未联系评价人（时限 %(date)s）。"), {"date": bad_review.contact_due}
                ),
                url=f"/feedback/bad-reviews/{bad_review.id}/",
            )
    rectify_late = BadReview.objects.filter(bad_review_rectify_overdue(today), rectify_warned_at__isnull=True)
    for bad_review in rectify_late.select_related("owner", "centre"):
        if BadReview.objects.filter(id=bad_review.id, rectify_warned_at__isnull=True).update(rectify_warned_at=now):
            warned += _warn(
                owner=bad_review.owner,
                centre=bad_review.centre,
                key=f"bad-review-overdue:{bad_review.id}:rectify",
                text=notice_text(gettext_noop("差评逾期未整改（时限 %(date)s）。"), {"date": bad_review.rectify_due}),
                url=f"/feedback/bad-reviews/{bad_review.id}/",
            )
    escalations_late = Escalation.objects.filter(escalation_overdue(today), overdue_warned_at__isnull=True)
    for escalation in escalations_late.select_related("received_by", "centre"):
        if Escalation.objects.filter(id=escalation.id, overdue_warned_at__isnull=True).update(overdue_warned_at=now):
            warned += _warn(
                owner=escalation.received_by,
                centre=escalation.centre,
                key=f"escalation-overdue:{escalation.id}",
                text=notice_text(
                    gettext_noop("办不成事反映 %(no)s 已超过答复时限 %(date)s。"),
                    {"no": escalation.tracking_no, "date": escalation.due_date},
                ),
                url=f"/feedback/escalations/{escalation.public_id}/",
            )
    return warned


REPLY_WARNING_TEXTS = {
    50: gettext_noop("投诉建议 %(no)s 的答复时间已过半，请于 %(date)s 前答复。"),
    80: gettext_noop("投诉建议 %(no)s 的答复时间已用去八成，请于 %(date)s 前答复。"),
    100: gettext_noop("投诉建议 %(no)s 已超过答复期限 %(date)s，尚未答复。"),
}


@shared_task(acks_late=True)
def complaint_warn_reply_due_task() -> int:
    """Warn about complaints waiting for their reply at 50, 80 and 100 % of the reply time, once each.

    50 and 80 %: the handler (the centre's leaders while nobody is assigned); 100 % (overdue): the
    handler and the leaders, as for overdue bad reviews and escalations. A level is claimed with a
    compare-and-set on `reply_warned_level` before the notices go out, so a second run (or a second
    worker) sends nothing; when several levels are reached at once only the highest is sent. Paused
    complaints (waiting for the citizen) are not warned about.
    """
    from govservice.workdays import WorkCalendar

    now = timezone.now()
    calendar = WorkCalendar.load()
    warned = 0
    candidates = Complaint.objects.filter(
        status__in=COMPLAINT_AWAITING_REPLY, reply_due_at__isnull=False, reply_warned_level__lt=100
    )
    for complaint in candidates.select_related("owner", "centre").order_by("reply_due_at"):
        level = reply_warning_level_reached(complaint, now, calendar)
        if level <= complaint.reply_warned_level:
            continue
        claimed = Complaint.objects.filter(
            id=complaint.id,
            reply_warned_level=complaint.reply_warned_level,
            reply_due_at=complaint.reply_due_at,
            status__in=COMPLAINT_AWAITING_REPLY,
        ).update(reply_warned_level=level)
        if not claimed:
            continue
        due = timezone.localtime(complaint.reply_due_at).date().isoformat()
        text = notice_text(REPLY_WARNING_TEXTS[level], {"no": complaint.tracking_no, "date": due})
        key = f"complaint-reply-due:{complaint.id}:{level}:{due}"
        if level >= 100 or complaint.owner is None:
            warned += _warn(
                owner=complaint.owner, centre=complaint.centre, key=key, text=text, url=complaint.get_absolute_url()
            )
        else:
            notice_send(recipient=complaint.owner, key=key, text=text, url=complaint.get_absolute_url())
            warned += 1
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
