"""Reads for service cases, scoped by centre through staff.selectors only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models import Case as DbCase
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from staff.models import Role, User
from staff.selectors import scope_to_user

from .models import CLOSED_STATUSES, Assistance, Case, MatterType, ReminderCall

RUNNING = (Case.Status.ACCEPTED, Case.Status.IN_PROCESS)


def matter_type_list_for(*, user: User) -> QuerySet[MatterType]:
    return scope_to_user(MatterType.objects.filter(is_active=True), user).select_related("department")


def case_list_for(
    *,
    user: User,
    role: str = "",
    status: str = "",
    q: str = "",
    overdue: bool = False,
    deficient: bool = False,
    assisted: bool = False,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> QuerySet[Case]:
    """Cases the user may see; `role` = "handler" | "first" | "" (all of the centre). Overdue first."""
    today = today or timezone.localdate()
    queryset = scope_to_user(Case.objects.all(), user).select_related(
        "matter_type", "handler", "first_responder", "commitment", "centre"
    )
    if role == "handler":
        queryset = queryset.filter(handler=user)
    elif role == "first":
        queryset = queryset.filter(first_responder=user)
    # Otherwise every case of the user's centre: any window may take in a correction, and
    # personal data is masked on every list; full values go through the logged reveal.
    if status == "open":
        queryset = queryset.exclude(status__in=CLOSED_STATUSES)
    elif status:
        queryset = queryset.filter(status=status)
    if q:
        queryset = queryset.filter(tracking_no__icontains=q.strip())
    if deficient:
        queryset = queryset.filter(commitment__isnull=False)
    if assisted:
        queryset = queryset.filter(Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True))
    if start:
        queryset = queryset.filter(created_at__date__gte=start)
    if end:
        queryset = queryset.filter(created_at__date__lte=end)
    overdue_q = Q(status=Case.Status.AWAITING_CORRECTION, commitment__deadline__lt=today) | Q(
        status__in=RUNNING, due_date__lt=today
    )
    queryset = queryset.annotate(
        is_overdue=DbCase(When(overdue_q, then=Value(1)), default=Value(0), output_field=IntegerField())
    )
    if overdue:
        queryset = queryset.filter(overdue_q)
    return queryset.order_by("-is_overdue", "due_date", "-created_at")


def case_get_for(*, user: User, public_id: object) -> Case:
    """One case in the user's scope (another centre's case looks like a missing one)."""
    try:
        return case_list_for(user=user).get(public_id=public_id)
    except (Case.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def case_for_citizen(*, tracking_no: str, phone_last4: str) -> Case | None:
    """The case whose tracking number and last 4 phone digits both match; None otherwise."""
    case = (
        Case.objects.select_related("matter_type", "centre", "commitment")
        .filter(tracking_no=tracking_no.strip().upper())
        .first()
    )
    if case is None or not case.applicant_phone or len(phone_last4) != 4:
        return None
    return case if case.applicant_phone[-4:] == phone_last4 else None


def reminder_call_list_for(*, user: User, day: date | None = None) -> QuerySet[ReminderCall]:
    day = day or timezone.localdate()
    return (
        scope_to_user(ReminderCall.objects.all(), user, centre_field="case__centre")
        .filter(outcome=ReminderCall.Outcome.PENDING, call_on__lte=day)
        .select_related("case", "case__handler")
        .order_by("call_on", "id")
    )


def handover_candidates_for(*, case: Case) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, centre_id=case.centre_id, roles__role=Role.WINDOW_STAFF)
        .exclude(id=case.handler_id)
        .distinct()
        .order_by("username")
    )


def helpers_for(*, case: Case) -> QuerySet[User]:
    return User.objects.filter(is_active=True, centre_id=case.centre_id, roles__role=Role.HELPER).order_by("username")


@dataclass(frozen=True)
class HelperMonth:
    month: date
    helper_name: str
    cases: int
    rated: int
    satisfied: int
    average: float | None

    @property
    def satisfaction_rate(self) -> float | None:
        """Share rated 满意 or 非常满意 (4–5), as the centre reports it (e.g. 98.6 %)."""
        return round(self.satisfied * 100 / self.rated, 1) if self.rated else None


def assistance_monthly_for(*, user: User, year: int | None = None) -> list[HelperMonth]:
    """Assisted matters and satisfaction per month and helper: one aggregate query."""
    queryset = scope_to_user(Assistance.objects.all(), user, centre_field="case__centre")
    if user.has_role(Role.HELPER) and not (user.is_leader or user.is_city_wide or user.is_superuser):
        queryset = queryset.filter(helper=user)
    if year:
        queryset = queryset.filter(assigned_at__year=year)
    rows = (
        queryset.annotate(month=TruncMonth("assigned_at"))
        .values("month", "helper__name", "helper__username")
        .annotate(
            cases=Count("id"),
            rated=Count("id", filter=Q(satisfaction__isnull=False)),
            satisfied=Count("id", filter=Q(satisfaction__gte=4)),
            average=Avg("satisfaction"),
        )
        .order_by("-month", "helper__username")
    )
    return [
        HelperMonth(
            month=row["month"].date() if hasattr(row["month"], "date") else row["month"],
            helper_name=row["helper__name"] or row["helper__username"],
            cases=row["cases"],
            rated=row["rated"],
            satisfied=row["satisfied"],
            average=round(row["average"], 2) if row["average"] is not None else None,
        )
        for row in rows
    ]
