"""When feedback is due, and what "overdue" and "on time" mean: one definition each.

Lists, filters, the overview figures, the warning task and the intake app (its public
look-up, Open311 and the feed) all read these, so a figure on one screen cannot
disagree with a warning sent by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from govservice import workdays

from .models import BadReview, Complaint, Escalation

# The reply promise for a complaint: 12345 practice is 5 working days to handle an order
# (practice.md §3). A complaint keeps no due date of its own; it is derived from when it came in.
COMPLAINT_REPLY_WORKING_DAYS = 5
# A promise "by a day" means by the end of that working day.
END_OF_WORKING_DAY = time(17, 30)

# A complaint is finished when closed after the callback or merged into another.
COMPLAINT_FINISHED = (Complaint.Status.CLOSED, Complaint.Status.MERGED)
# A bad review is finished when called back or when the appeal found the rating invalid.
BAD_REVIEW_FINISHED = (BadReview.Status.CLOSED, BadReview.Status.EXCLUDED)
# Still waiting for the first contact with the citizen.
BAD_REVIEW_TO_CONTACT = (BadReview.Status.OPEN,)
# Still waiting for the rectification (an appeal pauses it; a rejected appeal goes back to rectifying).
BAD_REVIEW_TO_RECTIFY = (BadReview.Status.OPEN, BadReview.Status.CONTACTED, BadReview.Status.RECTIFYING)
# An escalation is answered once resolved or declared unresolvable, whether or not called back yet.
ESCALATION_ANSWERED = (Escalation.Status.RESOLVED, Escalation.Status.UNRESOLVED, Escalation.Status.CLOSED)
ESCALATION_WAITING = (Escalation.Status.RECEIVED, Escalation.Status.IN_PROGRESS)


@dataclass(frozen=True)
class ReplyDue:
    at: datetime
    provisional: bool  # counted on a calendar year that is not published yet


def end_of_working_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, END_OF_WORKING_DAY))


def complaint_reply_due(complaint: Complaint, calendar: workdays.WorkCalendar | None = None) -> ReplyDue:
    """When a complaint is to be answered; pass one loaded calendar when computing it for many rows."""
    start = timezone.localtime(complaint.received_at).date()
    result = (calendar or workdays.WorkCalendar.load()).add_working_days(start, COMPLAINT_REPLY_WORKING_DAYS)
    return ReplyDue(at=end_of_working_day(result.date), provisional=result.provisional)


# Waiting for the reply: received, assigned or reopened (replied, closed and merged are answered).
COMPLAINT_AWAITING_REPLY = (Complaint.Status.RECEIVED, Complaint.Status.ASSIGNED, Complaint.Status.REOPENED)
# How far back the search for the overdue cut-off day goes: 5 working days never span more.
_LONGEST_REPLY_SPAN_DAYS = 60


def complaint_overdue_q(now: datetime, calendar: workdays.WorkCalendar | None = None) -> Q:
    """Complaints waiting for their reply past the reply deadline (`complaint_reply_due`), as a Q.

    The deadline grows with the day received (adding working days keeps the order of days), so the
    overdue complaints are exactly those received on or before the last day whose deadline has
    passed at `now`: one comparison of `received_at`. The one definition every overdue complaint
    figure uses (complaints/metrics.py); at merge its body becomes the stored reply deadline.
    """
    calendar = calendar or workdays.WorkCalendar.load()
    day = timezone.localtime(now).date()
    for _step in range(_LONGEST_REPLY_SPAN_DAYS):
        due = end_of_working_day(calendar.add_working_days(day, COMPLAINT_REPLY_WORKING_DAYS).date)
        if due < now:
            following = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
            return Q(status__in=COMPLAINT_AWAITING_REPLY, received_at__lt=following)
        day -= timedelta(days=1)
    return Q(pk__in=[])


def bad_review_contact_overdue(today: date) -> Q:
    """Not contacted yet and past the contact date (the contact date itself is still on time)."""
    return Q(status__in=BAD_REVIEW_TO_CONTACT, contact_due__lt=today)


def bad_review_rectify_overdue(today: date) -> Q:
    """Not rectified yet and past the rectification date.

    "Not rectified" is the status *and* no rectification recorded: a review rectified (on time)
    whose appeal was rejected goes back to "rectifying" with its rectification date kept, and is
    not overdue for it (issue 17: the tile counted such a review).
    """
    return Q(status__in=BAD_REVIEW_TO_RECTIFY, rectified_at__isnull=True, rectify_due__lt=today)


def escalation_overdue(today: date) -> Q:
    """Not answered yet and past the 2/5-working-day limit."""
    return Q(status__in=ESCALATION_WAITING, due_date__lt=today)


def escalation_solved_on_time() -> Q:
    """Solved on or before its due date (local day)."""
    return Q(solved_at__isnull=False, solved_at__date__lte=F("due_date"))


def bad_reviews_with_overdue_flags(queryset: QuerySet[BadReview], today: date) -> QuerySet[BadReview]:
    """Each row says whether its contact and rectification steps are overdue (for the lists)."""
    return queryset.annotate(
        contact_overdue=ExpressionWrapper(bad_review_contact_overdue(today), output_field=BooleanField()),
        rectify_overdue=ExpressionWrapper(bad_review_rectify_overdue(today), output_field=BooleanField()),
    )


def escalations_with_overdue_flag(queryset: QuerySet[Escalation], today: date) -> QuerySet[Escalation]:
    return queryset.annotate(overdue=ExpressionWrapper(escalation_overdue(today), output_field=BooleanField()))
