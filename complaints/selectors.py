"""Scoped reads for feedback. Another centre's record looks exactly like a missing one (404)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cases.selectors import case_ids_by_applicant_phone_hashes
from govservice import access
from govservice.categories import ProblemCategory
from govservice.models import Centre
from staff.models import User
from staff.selectors import scope_to_user

# Other apps read the deadline and self-rating rules through this module (`X as X`: re-exported);
# their one definition lives in complaints/deadlines.py and complaints/self_rating.py.
from .deadlines import COMPLAINT_FINISHED as COMPLAINT_FINISHED
from .deadlines import ESCALATION_WAITING as ESCALATION_WAITING
from .deadlines import ReplyDue as ReplyDue
from .deadlines import complaint_overdue_q as complaint_overdue_q
from .deadlines import complaint_reply_due as complaint_reply_due
from .deadlines import end_of_working_day as end_of_working_day
from .deadlines import escalation_solved_on_time
from .models import (
    BadReview,
    Channel,
    Complaint,
    ComplaintDayCount,
    Escalation,
    Evaluation,
    EvaluationDayCount,
    EvaluationLevel,
    EvaluationTag,
    WorkOrder,
    WorkOrderEvent,
)
from .rota import DutyWeek as DutyWeek
from .rota import duty_week as duty_week
from .self_rating import self_triggered_evaluation_ids as self_triggered_evaluation_ids
from .work_orders_text import work_order_step_summary as work_order_step_summary

LEVELS = [level for level, _label in sorted(EvaluationLevel.choices, reverse=True)]


def complaint_list_for(*, user: User) -> QuerySet[Complaint]:
    queryset = scope_to_user(Complaint.objects.all(), user)
    if not access.can_work_on_feedback(user):
        queryset = queryset.filter(Q(owner=user) | Q(staff=user))
    return queryset.select_related("centre", "channel", "window", "department", "owner", "problem", "matter_type")


def unclassified_open_for(user: User) -> QuerySet[Complaint]:
    """Complaints in the user's scope not classified into a problem category yet and not finished,
    oldest first: the classification queue (complaints:classify-queue). Suggestions are not counted."""
    queryset = complaint_list_for(user=user).filter(kind=Complaint.Kind.COMPLAINT, category="")
    return queryset.exclude(status__in=COMPLAINT_FINISHED).order_by("received_at", "id")


def _uuid_or_404(value: object) -> uuid.UUID:
    """A malformed id is simply "not found" (never a 500 from the UUID lookup)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def complaint_get_for(*, user: User, public_id: object) -> Complaint:
    return get_object_or_404(complaint_list_for(user=user), public_id=_uuid_or_404(public_id))


def evaluation_list_for(*, user: User) -> QuerySet[Evaluation]:
    queryset = scope_to_user(Evaluation.objects.all(), user)
    if not access.can_work_on_feedback(user):
        queryset = queryset.filter(staff=user)
    return queryset.select_related("centre", "channel", "window", "staff", "matter_type")


def bad_review_list_for(*, user: User) -> QuerySet[BadReview]:
    queryset = scope_to_user(BadReview.objects.all(), user)
    if not access.can_work_on_feedback(user):
        queryset = queryset.filter(Q(owner=user) | Q(evaluation__staff=user))
    return queryset.select_related("evaluation__channel", "evaluation__window", "evaluation__staff", "owner", "problem")


def bad_review_get_for(*, user: User, pk: int) -> BadReview:
    return get_object_or_404(bad_review_list_for(user=user), pk=pk)


def escalation_list_for(*, user: User) -> QuerySet[Escalation]:
    queryset = scope_to_user(Escalation.objects.all(), user)
    if not access.can_work_on_feedback(user):
        queryset = queryset.filter(departments__department_id=user.department_id or 0).distinct()
    return queryset.select_related("centre", "received_by", "matter_type")


def escalation_get_for(*, user: User, public_id: object) -> Escalation:
    return get_object_or_404(escalation_list_for(user=user), public_id=_uuid_or_404(public_id))


@dataclass
class DistributionRow:
    key: str
    label: str
    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, level: int) -> float:
        return round(100 * self.counts.get(level, 0) / self.total, 1) if self.total else 0.0

    @property
    def cells(self) -> list[tuple[int, int, float]]:
        return [(level, self.counts.get(level, 0), self.share(level)) for level in LEVELS]

    @property
    def very_satisfied_rate(self) -> float:
        return self.share(EvaluationLevel.VERY_SATISFIED)

    @property
    def satisfied_rate(self) -> float:
        """Share of ratings at "basically satisfied" or better (the 好评 share)."""
        good = sum(self.counts.get(level, 0) for level in (3, 4, 5))
        return round(100 * good / self.total, 1) if self.total else 0.0


def rated_within(start: date | None = None, end: date | None = None, *, field: str = "rated_at") -> Q:
    """Rated on a local day from `start` to `end` (inclusive; either may be None), as a range of the stored time.

    The same rows as `rated_at__date__gte/lte` (the current time zone's days), but written on the column itself,
    so that PostgreSQL reads only the months' partitions (the table is partitioned by rated_at) and the indexes
    leading with (…, rated_at); `__date` wraps the column in a time-zone cast that neither can use.
    """
    q = Q()
    if start:
        q &= Q(**{f"{field}__gte": timezone.make_aware(datetime.combine(start, time.min))})
    if end:
        q &= Q(**{f"{field}__lt": timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))})
    return q


def evaluation_distribution(
    *, user: User, by: str, start: date | None = None, end: date | None = None
) -> list[DistributionRow]:
    """The full five-level distribution per month, window or channel (excluded ratings do not count)."""
    queryset = evaluation_list_for(user=user).filter(excluded=False, follow_up_of__isnull=True)
    queryset = queryset.filter(rated_within(start, end))
    # Rows of values(): "k" (the month, window or channel), "level" and the count "n".
    rows: QuerySet[Evaluation, Mapping[str, Any]]
    if by == "month":
        rows = queryset.annotate(k=TruncMonth("rated_at")).values("k", "level").annotate(n=Count("id")).order_by("k")
        label_of = {}
    elif by == "window":
        rows = queryset.values("level", k=F("window_id")).annotate(n=Count("id")).order_by("k")
        label_of = {
            w["window_id"]: f"{w['window__code']} {w['window__name']}"
            for w in queryset.values("window_id", "window__code", "window__name").distinct()
        }
    else:
        rows = queryset.values("level", k=F("channel_id")).annotate(n=Count("id")).order_by("k")
        label_of = {
            c["channel_id"]: c["channel__name"] for c in queryset.values("channel_id", "channel__name").distinct()
        }
    table: dict[object, DistributionRow] = {}
    for row in rows:
        key = row["k"]
        label = (f"{key:%Y-%m}" if key else "—") if by == "month" else label_of.get(key) or "—"
        entry = table.setdefault(key, DistributionRow(key=str(key), label=label))
        entry.counts[row["level"]] = entry.counts.get(row["level"], 0) + row["n"]
    return list(table.values())


def evaluation_totals(*, user: User, start: date | None = None, end: date | None = None) -> DistributionRow:
    queryset = evaluation_list_for(user=user).filter(excluded=False, follow_up_of__isnull=True)
    queryset = queryset.filter(rated_within(start, end))
    row = DistributionRow(key="all", label="")
    for item in queryset.values("level").annotate(n=Count("id")):
        row.counts[item["level"]] = item["n"]
    return row


@dataclass
class CategoryShare:
    category: str
    label: str
    count: int
    share: float


def complaint_category_shares(*, user: User, start: date | None = None, end: date | None = None) -> list[CategoryShare]:
    """Share of each ProblemCategory among categorised complaints (the brief's 32 % attitude figure)."""
    queryset = complaint_list_for(user=user).filter(kind=Complaint.Kind.COMPLAINT).exclude(category="")
    queryset = queryset.exclude(status=Complaint.Status.MERGED)
    if start:
        queryset = queryset.filter(received_at__date__gte=start)
    if end:
        queryset = queryset.filter(received_at__date__lte=end)
    counts = {row["category"]: row["n"] for row in queryset.values("category").annotate(n=Count("id"))}
    total = sum(counts.values())
    return [
        CategoryShare(
            value, str(label), counts.get(value, 0), round(100 * counts.get(value, 0) / total, 1) if total else 0.0
        )
        for value, label in ProblemCategory.choices
    ]


@dataclass
class EscalationMonth:
    month: str
    received: int
    solved: int
    solved_in_time: int


def escalation_monthly(*, user: User, year: int) -> list[EscalationMonth]:
    """Matters received and solved per month (the brief's "12 resolved since January" is the sum)."""
    queryset = escalation_list_for(user=user)
    received = {
        row["m"].month: row["n"]
        for row in queryset.filter(received_at__year=year)
        .annotate(m=TruncMonth("received_at"))
        .values("m")
        .annotate(n=Count("id"))
    }
    solved_rows = (
        queryset.filter(solved_at__year=year)
        .annotate(m=TruncMonth("solved_at"))
        .values("m")
        .annotate(n=Count("id"), in_time=Count("id", filter=escalation_solved_on_time()))
    )
    solved = {row["m"].month: (row["n"], row["in_time"]) for row in solved_rows}
    months = sorted(set(received) | set(solved))
    return [
        EscalationMonth(f"{year}-{m:02d}", received.get(m, 0), solved.get(m, (0, 0))[0], solved.get(m, (0, 0))[1])
        for m in months
    ]


@dataclass
class CallbackRate:
    real_name_bad: int
    called_back: int

    @property
    def rate(self) -> float:
        return round(100 * self.called_back / self.real_name_bad, 1) if self.real_name_bad else 100.0


def bad_review_callback_rate(*, user: User, start: date | None = None) -> CallbackRate:
    """Real-name bad reviews called back (the scheme expects 100 %); appeals upheld are left out."""
    queryset = (
        bad_review_list_for(user=user).filter(evaluation__is_real_name=True).exclude(status=BadReview.Status.EXCLUDED)
    )
    if start:
        queryset = queryset.filter(rated_within(start, field="evaluation__rated_at"))
    counts = queryset.aggregate(n=Count("id"), done=Count("id", filter=Q(status=BadReview.Status.CLOSED)))
    return CallbackRate(counts["n"], counts["done"])


# --- for the leaders' dashboard (dashboard app): unscoped, the dashboard scopes and filters ---


def channel_list_by_ids(*, ids: set[int]) -> QuerySet[Channel]:
    return Channel.objects.filter(id__in=ids)


def complaint_day_counts_between(*, start: date, end: date) -> QuerySet[ComplaintDayCount]:
    """The complaints' day counts (kept by triggers, govservice/rollups.py) of the days [start, end]."""
    return ComplaintDayCount.objects.filter(day__gte=start, day__lte=end)


def evaluation_day_counts_between(*, start: date, end: date) -> QuerySet[EvaluationDayCount]:
    """The evaluations' day counts (kept by triggers, govservice/rollups.py) of the days [start, end]."""
    return EvaluationDayCount.objects.filter(day__gte=start, day__lte=end)


def escalations_open_due_by(*, day: date) -> QuerySet[Escalation]:
    """Escalations whose 2/5-working-day clock still runs and is due by `day`.

    Answered (resolved, or reported as not solvable) or closed: the clock has stopped.
    """
    done = (Escalation.Status.RESOLVED, Escalation.Status.UNRESOLVED, Escalation.Status.CLOSED)
    return Escalation.objects.exclude(status__in=done).filter(due_date__lte=day)


def bad_reviews_awaiting_callback() -> QuerySet[BadReview]:
    """Rectified and waiting for the citizen to be called back (已整改待回访)."""
    return BadReview.objects.filter(status=BadReview.Status.RECTIFIED)


def evaluation_own_phone_rows(
    *, phone_hashes: set[str], start: datetime, end: datetime
) -> list[tuple[int, int | None, str, str]]:
    """Evaluations rated in [start, end) by one of these phones, or on a case applied for from one:
    (id, staff_id, evaluator phone hash, applicant phone hash); the caller decides whose phone it is."""
    in_month = Evaluation.objects.filter(rated_at__gte=start, rated_at__lt=end)
    fields = ("id", "staff_id", "evaluator_phone_hash", "case__applicant_phone_hash")
    # Start from the hashed-phone indexes, never from a staff list: filtering a million rows by
    # 1,000 staff ids first takes seconds, the hash look-ups take milliseconds.
    own_cases = case_ids_by_applicant_phone_hashes(phone_hashes=phone_hashes)
    return [
        *in_month.filter(evaluator_phone_hash__in=phone_hashes).values_list(*fields),
        *in_month.filter(case__in=own_cases).values_list(*fields),
    ]


def evaluation_counts_by_staff(
    *, centre_id: int, start: datetime, end: datetime, level_thresholds: list[int], exclude_ids: set[int]
) -> list[Mapping[str, Any]]:
    """Per rated person of one centre in [start, end): count, average level, bad ones (level ≤ 2) and,
    per threshold t, those at level ≥ t (as `ge<t>`); excluded (verified invalid) ones and
    `exclude_ids` left out. One grouped query."""
    annotations = {
        "n": Count("id"),
        "avg": Avg("level"),
        "bad": Count("id", filter=Q(level__lte=2)),
        **{f"ge{t}": Count("id", filter=Q(level__gte=t)) for t in level_thresholds},
    }
    # Filter by centre and month (the centre-and-date index), not by a list of 1,000 staff ids:
    # on a million rows that is several times faster; the caller skips other people's rows.
    evaluations = Evaluation.objects.filter(
        centre_id=centre_id, staff_id__isnull=False, rated_at__gte=start, rated_at__lt=end, excluded=False
    )
    if exclude_ids:
        evaluations = evaluations.exclude(id__in=exclude_ids)
    return list(evaluations.values("staff_id").annotate(**annotations).order_by())


def complaint_counts_by_staff(
    *, centre_id: int, start: datetime, end: datetime, categories: list[str]
) -> list[Mapping[str, Any]]:
    """Per person of one centre: complaints received in [start, end) (merged ones left out), in all
    and per category (as `cat_<category>`). One grouped query."""
    annotations = {
        "n": Count("id"),
        **{f"cat_{c}": Count("id", filter=Q(category=c)) for c in categories},
    }
    complaints = Complaint.objects.filter(
        centre_id=centre_id, staff_id__isnull=False, received_at__gte=start, received_at__lt=end, kind="complaint"
    ).exclude(status="merged")
    return list(complaints.values("staff_id").annotate(**annotations).order_by())


# --- for the channels (intake): unscoped, the caller has checked the channel or the centre -------------------


def no_channels() -> QuerySet[Channel]:
    """An empty placeholder for a form field whose choices are set per request."""
    return Channel.objects.none()


def channel_by_code(code: str) -> Channel | None:
    return Channel.objects.filter(code=code).first()


def channels_serving(centres: QuerySet[Centre]) -> QuerySet[Channel]:
    """The active channels that serve any of these centres."""
    return Channel.objects.filter(is_active=True, centres__in=centres).distinct()


def evaluation_tags_active() -> QuerySet[EvaluationTag]:
    return EvaluationTag.objects.filter(is_active=True).order_by("order", "code")


def complaint_list_unscoped() -> QuerySet[Complaint]:
    """Every complaint, for a public interface that filters and shapes the rows itself (Open311)."""
    return Complaint.objects.all()


def evaluation_list_unscoped() -> QuerySet[Evaluation]:
    """Every evaluation, for a public interface that filters and shapes the rows itself (Open311)."""
    return Evaluation.objects.all()


def complaint_by_external_id(*, channel: Channel, external_id: str) -> Complaint | None:
    """The complaint a channel already sent under this id (a resend), if any."""
    return Complaint.objects.filter(channel=channel, external_id=external_id).first()


def evaluation_by_external_id(*, channel: Channel, external_id: str) -> Evaluation | None:
    """The evaluation a channel already sent under this id (a resend), if any."""
    return Evaluation.objects.filter(channel=channel, external_id=external_id).first()


def complaint_verdict_counts_by_staff(
    *, centre_id: int, start: datetime, end: datetime, categories: list[str]
) -> list[Mapping[str, Any]]:
    """Per person of one centre, complaints received in [start, end) (merged ones left out): `n` and
    `cat_<category>` count only those verified as founded or partly founded (the ones that cost points);
    `pending` counts those still without a verdict. An unfounded complaint counts nowhere. One query."""
    founded = Q(verdict__in=Complaint.FOUNDED_VERDICTS)
    annotations = {
        "n": Count("id", filter=founded),
        "pending": Count("id", filter=Q(verdict="")),
        **{f"cat_{c}": Count("id", filter=founded & Q(category=c)) for c in categories},
    }
    complaints = Complaint.objects.filter(
        centre_id=centre_id, staff_id__isnull=False, received_at__gte=start, received_at__lt=end, kind="complaint"
    ).exclude(status="merged")
    return list(complaints.values("staff_id").annotate(**annotations).order_by())


def evaluation_tag_labels(*, codes: list[str]) -> dict[str, str]:
    """The catalogue's name of each tag code (retired tags too: a rating keeps the tags it was given)."""
    if not codes:
        return {}
    return dict(EvaluationTag.objects.filter(code__in=codes).values_list("code", "label"))


# --- 12345 work orders -------------------------------------------------------------------------


def work_order_by_number(*, channel: Channel, order_no: str) -> WorkOrder | None:
    """The hotline platform's order (its channel and order number), for the platform's own pushes."""
    return WorkOrder.objects.filter(channel=channel, order_no=order_no).select_related("complaint").first()


def work_order_of(complaint: Complaint) -> WorkOrder | None:
    return WorkOrder.objects.filter(complaint_id=complaint.id).first()


def work_order_events(order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return order.events.select_related("actor")


def work_order_extensions_waiting_for(*, user: User) -> QuerySet[WorkOrder]:
    """Extension requests (延期申请) in the user's scope that wait for a leader's decision, oldest first."""
    complaints = complaint_list_for(user=user)
    return (
        WorkOrder.objects.filter(status=WorkOrder.Status.EXTENSION_REQUESTED, complaint__in=complaints)
        .select_related("complaint", "complaint__centre", "extension_requested_by")
        .order_by("extension_requested_at", "id")
    )


def work_order_extension_get_for(*, user: User, work_order_id: int) -> WorkOrder:
    return get_object_or_404(
        WorkOrder.objects.filter(complaint__in=complaint_list_for(user=user)).select_related(
            "complaint", "complaint__centre", "extension_requested_by"
        ),
        id=work_order_id,
    )
