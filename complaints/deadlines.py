"""When feedback is due, and what "overdue" and "on time" mean: one definition each.

Lists, filters, the overview figures, the warning task and the intake app (its public
look-up, Open311 and the feed) all read these, so a figure on one screen cannot
disagree with a warning sent by another.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.cache import cache
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from govservice import workdays
from govservice.process_copy import ProcessCopies
from govservice.replica import use_primary

from .models import BadReview, Channel, Complaint, ComplaintDeadlineRule, Escalation, FeedbackPolicy

# The reply promise for a complaint when the centre set no rule of its own (admin: 投诉答复时限规则).
# 12345 practice is 5 working days to handle and answer an order (practice.md §3, 山东); a
# suggestion or criticism gets 13 working days (practice.md §3, 某局: 建议批评 13 WD), except on
# the hotline, which promises its 5 days for every order. Keys: (channel kind, complaint kind),
# None = any; the most specific key wins.
COMPLAINT_REPLY_WORKING_DAYS = 5
DEFAULT_REPLY_RULES: dict[tuple[str | None, str | None], int] = {
    (None, None): COMPLAINT_REPLY_WORKING_DAYS,
    (Channel.Kind.HOTLINE, None): 5,
    (None, Complaint.Kind.SUGGESTION): 13,
}
# A promise "by a day" means by the end of that working day.
END_OF_WORKING_DAY = time(17, 30)

# A complaint is finished when closed after the callback, merged into another, or (a 12345 work order)
# returned to the hotline as not this centre's.
COMPLAINT_FINISHED = (Complaint.Status.CLOSED, Complaint.Status.MERGED, Complaint.Status.RETURNED)
# Its reply clock runs while it waits for an answer; it stops while the citizen is asked for more
# (WAITING_CITIZEN) and once replied (a re-opened one gets a new clock).
COMPLAINT_AWAITING_REPLY = (Complaint.Status.RECEIVED, Complaint.Status.ASSIGNED, Complaint.Status.REOPENED)
# Shares of the reply time at which the handler (and, when overdue, the leaders) are warned, once each.
REPLY_WARNING_LEVELS = (50, 80, 100)
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


# A centre's rules are read for every complaint that comes in (the channel API's hot path): cached, and
# forgotten when a rule is saved or deleted (complaints/apps.py); the timeout bounds a bulk update's staleness.
RULES_CACHE_SECONDS = 300


def _rules_cache_key(centre_id: int) -> str:
    return f"complaints:reply-rules:{centre_id}"


# Each process also keeps the rules it read while the centre's token holds (govservice/process_copy.py): a
# complaint then reads one small token instead of the whole rules entry.
_RULES_COPIES: ProcessCopies[dict[tuple[int | None, str], int]] = ProcessCopies(
    "complaints-reply-rules", seconds=RULES_CACHE_SECONDS
)


def centre_reply_rules(centre_id: int) -> dict[tuple[int | None, str], int]:
    """The centre's own rules: (channel id or None, type or "") → working days. Read-only: shared in the process."""
    return _RULES_COPIES.get(centre_id, lambda: _centre_reply_rules_shared(centre_id))


def _centre_reply_rules_shared(centre_id: int) -> dict[tuple[int | None, str], int]:
    rules = cache.get(_rules_cache_key(centre_id))
    if rules is None:
        # On the primary: a lagging replica would cache the rules a change just dropped (govservice/replica.py).
        with use_primary():
            rows = ComplaintDeadlineRule.objects.filter(centre_id=centre_id).values_list(
                "channel_id", "kind", "working_days"
            )
            rules = {(channel_id, kind): days for channel_id, kind, days in rows}
        cache.set(_rules_cache_key(centre_id), rules, RULES_CACHE_SECONDS)
    return rules


def forget_reply_rules(sender: object, instance: ComplaintDeadlineRule, **kwargs: object) -> None:
    """A rule saved or deleted: the centre's cached rules go (post_save / post_delete receiver), and every
    process's copy with them."""
    cache.delete(_rules_cache_key(instance.centre_id))
    _RULES_COPIES.forget(instance.centre_id)


# A bad rating opens its bad review inside the request (the answer carries its status) and needs the centre's
# contact and rectification days: each process keeps them while the centre's token holds; a policy saved or
# deleted replaces it (complaints/apps.py).
_BAD_REVIEW_DAYS: ProcessCopies[tuple[int, int]] = ProcessCopies(
    "complaints-bad-review-days", seconds=RULES_CACHE_SECONDS
)


def bad_review_days(centre_id: int) -> tuple[int, int]:
    """(contact days, rectify days) of the centre's feedback policy (its defaults when it has none)."""

    def load() -> tuple[int, int]:
        with use_primary():  # a lagging replica would keep the policy a change just replaced
            policy = FeedbackPolicy.objects.filter(centre_id=centre_id).first() or FeedbackPolicy()
        return policy.contact_days, policy.rectify_days

    return _BAD_REVIEW_DAYS.get(centre_id, load)


def forget_feedback_policy(sender: object, instance: FeedbackPolicy, **kwargs: object) -> None:
    """A feedback policy saved or deleted (post_save / post_delete receiver): every process reads it afresh."""
    _BAD_REVIEW_DAYS.forget(instance.centre_id)


def reply_working_days(
    *, centre_id: int, channel: Channel, kind: str, rules: Iterable[ComplaintDeadlineRule] | None = None
) -> int:
    """The working days a complaint from `channel` of `kind` gets in the centre: the centre's most
    specific rule (channel and type, channel, type, any), else the most specific default of practice."""
    if rules is None:
        own = centre_reply_rules(centre_id)
    else:
        own = {(rule.channel_id, rule.kind): rule.working_days for rule in rules if rule.centre_id == centre_id}
    for key in ((channel.id, kind), (channel.id, ""), (None, kind), (None, "")):
        if key in own:
            return own[key]
    for default_key in ((channel.kind, kind), (channel.kind, None), (None, kind), (None, None)):
        if default_key in DEFAULT_REPLY_RULES:
            return DEFAULT_REPLY_RULES[default_key]
    return COMPLAINT_REPLY_WORKING_DAYS


def reply_due_from(
    calendar: workdays.WorkCalendar, *, received_at: datetime, working_days: int, paused_days: int = 0
) -> ReplyDue:
    """End of the working day `working_days` + `paused_days` working days after the day it came in."""
    start = timezone.localtime(received_at).date()
    result = calendar.add_working_days(start, working_days + paused_days)
    return ReplyDue(at=end_of_working_day(result.date), provisional=result.provisional)


def paused_working_days(calendar: workdays.WorkCalendar, *, paused_at: datetime, resumed_at: datetime) -> int:
    """Working days a pause took from the reply time: those in (the day it paused, the day it resumed].

    A pause that ends the day it began takes none: the handler had that day all the same."""
    start = timezone.localtime(paused_at).date()
    end = timezone.localtime(resumed_at).date()
    return max(calendar.count_working_days(start, end).days, 0)


def complaint_reply_due_compute(complaint: Complaint, calendar: workdays.WorkCalendar | None = None) -> ReplyDue:
    """Compute the reply deadline from the complaint's rule and pauses (for storing it)."""
    calendar = calendar or workdays.WorkCalendar.load()
    days = complaint.reply_working_days
    if days is None:
        days = reply_working_days(centre_id=complaint.centre_id, channel=complaint.channel, kind=complaint.kind)
    return reply_due_from(
        calendar,
        received_at=complaint.reply_clock_start or complaint.received_at,
        working_days=days,
        paused_days=complaint.reply_paused_days,
    )


def complaint_reply_due(complaint: Complaint, calendar: workdays.WorkCalendar | None = None) -> ReplyDue:
    """When a complaint is to be answered: its stored deadline (`reply_due_at`).

    Only a row stored before the field existed and not yet filled (or one built without the
    services, in tests) is computed on the spot; `calendar` is then used for it.
    """
    if complaint.reply_due_at is not None:
        return ReplyDue(at=complaint.reply_due_at, provisional=complaint.reply_due_provisional)
    return complaint_reply_due_compute(complaint, calendar)


def complaint_set_reply_due(complaint: Complaint, calendar: workdays.WorkCalendar | None = None) -> None:
    """Fill a complaint's reply deadline fields (unsaved; the caller saves)."""
    if complaint.reply_working_days is None:
        complaint.reply_working_days = reply_working_days(
            centre_id=complaint.centre_id, channel=complaint.channel, kind=complaint.kind
        )
    due = complaint_reply_due_compute(complaint, calendar)
    complaint.reply_due_at, complaint.reply_due_provisional = due.at, due.provisional


def complaint_overdue_q(now: datetime) -> Q:
    """Still waiting for its reply and past the stored deadline. Paused (waiting for the citizen),
    replied, closed and merged complaints are not overdue."""
    return Q(status__in=COMPLAINT_AWAITING_REPLY, reply_due_at__lt=now)


def complaint_is_overdue(complaint: Complaint, now: datetime) -> bool:
    """`complaint_overdue_q` for one loaded row."""
    return (
        complaint.status in COMPLAINT_AWAITING_REPLY
        and complaint.reply_due_at is not None
        and complaint.reply_due_at < now
    )


def complaint_due_within_q(now: datetime, until: datetime) -> Q:
    """Still waiting for its reply, not overdue yet, and due by `until`."""
    return Q(status__in=COMPLAINT_AWAITING_REPLY, reply_due_at__gte=now, reply_due_at__lte=until)


def complaint_soon_limit(now: datetime, calendar: workdays.WorkCalendar | None = None) -> datetime:
    """ "Due within 1 working day": by the end of the next working day after today."""
    calendar = calendar or workdays.WorkCalendar.load()
    return end_of_working_day(calendar.add_working_days(timezone.localtime(now).date(), 1).date)


def complaints_with_overdue_flag(queryset: QuerySet[Complaint], now: datetime) -> QuerySet[Complaint]:
    """Each row says whether its reply is overdue (for the lists and the API)."""
    return queryset.annotate(overdue=ExpressionWrapper(complaint_overdue_q(now), output_field=BooleanField()))


def reply_warning_moment(due: datetime, working_days: int, level: int, calendar: workdays.WorkCalendar) -> datetime:
    """When `level` % of the reply time has gone by, in whole working days counted back from the due day.

    The share is rounded up to a whole working day (50 % of 5 days: after the 3rd day), so a warning
    never comes before its share has passed; 100 % is the deadline itself. Counting back from the
    (possibly paused-and-moved) due date keeps the pauses out of the elapsed time.
    """
    if level >= 100:
        return due
    days_left = working_days - math.ceil(level * working_days / 100)
    day = calendar.add_working_days(timezone.localtime(due).date(), -days_left).date
    return end_of_working_day(day)


def reply_warning_level_reached(complaint: Complaint, now: datetime, calendar: workdays.WorkCalendar) -> int:
    """The highest of REPLY_WARNING_LEVELS whose moment has come (0: none yet)."""
    if complaint.reply_due_at is None or complaint.status not in COMPLAINT_AWAITING_REPLY:
        return 0
    days = complaint.reply_working_days or COMPLAINT_REPLY_WORKING_DAYS
    reached = 0
    for level in REPLY_WARNING_LEVELS:
        moment = reply_warning_moment(complaint.reply_due_at, days, level, calendar)
        # 100 %: overdue means past the deadline (as complaint_overdue_q); the others once reached.
        if now > moment or (level < 100 and now == moment):
            reached = level
    return reached


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
