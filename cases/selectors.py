"""Reads for service cases, scoped by centre through staff.selectors only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone

from govservice import access
from govservice.models import Centre
from govservice.numbers import normalize_phone
from govservice.roles import Role
from govservice.selectors import centre_id_of
from govservice.workdays import WorkCalendar
from staff.models import User
from staff.selectors import active_staff_with_roles, scope_to_user

from .clock import ClockState, clock_compute
from .models import (
    CLOSED_STATUSES,
    Assistance,
    Case,
    CaseDayCount,
    CaseEvent,
    CaseMaterial,
    Commitment,
    MatterType,
    RatingLink,
    ReminderCall,
    rating_token_hash,
)
from .search import case_search


def matter_type_list_for(*, user: User) -> QuerySet[MatterType]:
    return scope_to_user(MatterType.objects.filter(is_active=True), user).select_related("department")


_RELATED = ("matter_type", "handler", "first_responder", "commitment", "centre")


def _cases_for(user: User) -> QuerySet[Case]:
    return scope_to_user(Case.objects.all(), user).select_related(*_RELATED)


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
    centre: str = "",
    department: int | None = None,
    today: date | None = None,
) -> QuerySet[Case]:
    """Cases the user may see; `role` = "handler" | "first" | "" (all of the centre).

    `centre` (a code) and `department` (of the matter) narrow the list as the leader
    dashboard's filters narrow its case figures.

    Overdue first, then the nearest deadline, then cases without a running deadline (consultation,
    closed), newest first. The order is by the stored `current_deadline`, which the index
    `case_centre_deadline_idx` serves: a page reads its rows, not the whole centre's cases.
    """
    today = today or timezone.localdate()
    queryset = _cases_for(user)
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
        queryset = case_search(queryset, q)  # tracking number, name, full phone / ID, name + last four
    if deficient:
        queryset = queryset.filter(commitment__isnull=False)
    if assisted:
        queryset = queryset.filter(Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True))
    if start:
        queryset = queryset.filter(created_at__date__gte=start)
    if end:
        queryset = queryset.filter(created_at__date__lte=end)
    if centre:
        queryset = queryset.filter(centre__code=centre)
    if department:
        queryset = queryset.filter(matter_type__department_id=department)
    if overdue:
        queryset = queryset.filter(current_deadline__lt=today)
    return queryset.order_by(F("current_deadline").asc(nulls_last=True), "-created_at")


def _get_in_scope(queryset: QuerySet[Case], *, user: User, public_id: UUID | str) -> Case:
    """`scope_to_user`'s rule, in the order that reads least: a case of the user's own centre is in
    scope whatever their roles, so the roles (a query) are read only when the centres differ —
    for city-wide users. Out of scope looks exactly like "not found"."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    try:
        if user.centre_id is not None:
            try:
                return queryset.get(public_id=public_id, centre_id=user.centre_id)
            except Case.DoesNotExist:
                if not access.is_city_wide(user):
                    raise
        return scope_to_user(queryset, user).get(public_id=public_id)
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def case_get_for(*, user: User, public_id: UUID | str) -> Case:
    """One case in the user's scope (another centre's case looks like a missing one)."""
    return _get_in_scope(Case.objects.select_related(*_RELATED), user=user, public_id=public_id)


@dataclass(frozen=True)
class CaseDetail:
    """A case with the rows its detail shows: its materials by id and its history in order."""

    case: Case
    materials: list[CaseMaterial]
    events: list[CaseEvent]

    def clock(self, *, calendar: WorkCalendar | None = None, today: date | None = None) -> ClockState:
        """The clock replayed from `events`: no second read of the history."""
        return clock_compute(
            events=self.events, promised_days=self.case.matter_type.promised_days, calendar=calendar, today=today
        )

    @property
    def was_handed_over(self) -> bool:
        """Whether any hand-over was ever offered: each offer, answer and withdrawal writes a
        hand-over event (services.case_handover_*), so a history without one has no hand-over rows."""
        return any(event.kind == CaseEvent.Kind.HANDOVER for event in self.events)


def _by_id(row: CaseMaterial) -> int:
    return row.id


def _in_order(event: CaseEvent) -> tuple[datetime, int]:
    return event.created_at, event.id


_EVENT_FIELDS = [field.name for field in CaseEvent._meta.concrete_fields]
_ACTOR_FIELDS = ["actor__username", "actor__name"]  # what a history line shows of its author (str(user))


def case_detail_for(*, user: User, public_id: UUID | str, page: bool = False) -> CaseDetail:
    """One case in scope with what the detail API shows, in 3 queries: the case with its matter and
    people; its materials; its history with actors. `page=True` adds the commitment and the
    assisted-handling row the HTML page shows (joins, not queries).

    This is the most-read view, and its cost is Django building SQL more than PostgreSQL running it:
    - no more joins than shown — the API's correction deadline is the case's own copy of the
      commitment's (`Case.correction_deadline`, written with it by the services);
    - the two lists are read without ORDER BY and sorted here: compiling an ORDER BY costs more
      than sorting a case's few rows, and `prefetch_related` adds its own bookkeeping;
    - of each event's author only the name and username are read: building a whole staff row
      (with its encrypted mobile) per line of history cost more than the line.
    """
    related = ["matter_type", "handler", "first_responder"]
    if page:
        related += ["commitment", "assistance"]
    case = _get_in_scope(Case.objects.select_related(*related), user=user, public_id=public_id)
    materials = sorted(CaseMaterial.objects.filter(case_id=case.id).order_by(), key=_by_id)
    events = sorted(
        CaseEvent.objects.filter(case_id=case.id)
        .select_related("actor")
        .only(*_EVENT_FIELDS, *_ACTOR_FIELDS)
        .order_by(),
        key=_in_order,
    )
    return CaseDetail(case=case, materials=materials, events=events)


def case_for_citizen(*, tracking_no: str, phone_last4: str) -> Case | None:
    """The case whose tracking number and last 4 phone digits both match; None otherwise."""
    case = (
        Case.objects.select_related("matter_type", "centre", "commitment")
        .filter(tracking_no=tracking_no.strip().upper())
        .first()
    )
    last4 = normalize_phone(phone_last4)  # full-width digits from a phone's input method are the same digits
    if case is None or not case.applicant_phone or len(last4) != 4:
        return None
    return case if normalize_phone(case.applicant_phone)[-4:] == last4 else None


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
        active_staff_with_roles(centre_id=case.centre_id, roles=(Role.WINDOW_STAFF,))
        .exclude(id=case.handler_id)
        .distinct()
        .order_by("username")
    )


def helpers_for(*, case: Case) -> QuerySet[User]:
    return active_staff_with_roles(centre_id=case.centre_id, roles=(Role.HELPER,)).order_by("username")


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
    if access.sees_only_assisted_cases(user):
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


# --- for the leaders' dashboard (dashboard app): unscoped, the dashboard scopes and filters ---


def cases_created_between(*, start: datetime, end: datetime) -> QuerySet[Case]:
    return Case.objects.filter(created_at__gte=start, created_at__lt=end)


def case_day_counts_between(*, start: date, end: date) -> QuerySet[CaseDayCount]:
    """The cases' day counts (kept by triggers, govservice/rollups.py) of the days [start, end]."""
    return CaseDayCount.objects.filter(day__gte=start, day__lte=end)


def commitments_with_correction_facts(*, cases: QuerySet[Case]) -> QuerySet[Commitment]:
    """The written commitments (one per deficient case) of `cases`, with `still_deferred` and `corrected_late`.

    Counted per commitment, not per case of the period, so that the planner costs the material
    checks per commitment: costed per case they made PostgreSQL JIT-compile the query (0.5 s at 100 k cases).
    """
    materials = CaseMaterial.objects.filter(case=OuterRef("case_id"))
    return Commitment.objects.filter(case__in=cases.values("id")).annotate(
        still_deferred=Exists(materials.filter(state="deferred")),
        corrected_late=Exists(materials.filter(received_at__date__gt=OuterRef("deadline"))),
    )


def assistance_for_cases(*, cases: QuerySet[Case]) -> QuerySet[Assistance]:
    return Assistance.objects.filter(case__in=cases.values("id"))


class HandlerCaseCounts(TypedDict):
    """One row of `case_counts_by_handler`."""

    handler_id: int
    completed: int
    accepted: int
    with_due: int
    on_time: int
    overdue: int


def case_counts_by_handler(*, centre_id: int, start: datetime, end: datetime) -> list[HandlerCaseCounts]:
    """Per handler of one centre: cases completed and accepted in [start, end) and, of the completed ones,
    those with a due date, on time and overdue by the local completion day. One grouped query
    (the service-star run reads it; cases counted by the whole month, never row by row)."""
    completed = Q(status="completed", completed_at__gte=start, completed_at__lt=end)
    accepted = Q(accepted_at__gte=start, accepted_at__lt=end)
    return list(
        Case.objects.filter(centre_id=centre_id)
        .filter(completed | accepted)
        .alias(completed_day=TruncDate("completed_at", tzinfo=timezone.get_default_timezone()))
        .values("handler_id")
        .annotate(
            completed=Count("id", filter=completed),
            accepted=Count("id", filter=accepted),
            with_due=Count("id", filter=completed & Q(due_date__isnull=False)),
            on_time=Count("id", filter=completed & Q(due_date__isnull=False, completed_day__lte=F("due_date"))),
            overdue=Count("id", filter=completed & Q(due_date__isnull=False, completed_day__gt=F("due_date"))),
        )
        .order_by()
    )


def case_ids_by_applicant_phone_hashes(*, phone_hashes: set[str]) -> QuerySet[Case, int]:
    """The cases whose applicant's phone has one of these keyed hashes, as a subquery of ids.

    Pass every hash of each phone (`govservice.crypto.lookup_hashes`): during a change of lookup key
    a case may still carry the hash under an old key."""
    return Case.objects.filter(applicant_phone_hash__in=phone_hashes).values_list("id", flat=True)


# --- the matter catalogue and cases, for other apps (unscoped: the caller picked the centre) -------------


def matter_types_of(
    *, centre: Centre | None = None, centre_id: int | None = None, active: bool = True
) -> QuerySet[MatterType]:
    """One centre's matters (only the active ones unless `active=False`)."""
    queryset = MatterType.objects.filter(centre_id=centre_id_of(centre=centre, centre_id=centre_id))
    return queryset.filter(is_active=True) if active else queryset


def no_matter_types() -> QuerySet[MatterType]:
    """An empty placeholder for a form field whose choices are set per request."""
    return MatterType.objects.none()


def matter_type_list(*, active: bool = True) -> QuerySet[MatterType]:
    """Every centre's matters, for `scope_to_user` or a public catalogue."""
    return MatterType.objects.filter(is_active=True) if active else MatterType.objects.all()


def case_by_tracking_no_in(*, centre: Centre, tracking_no: str) -> QuerySet[Case]:
    """The case (zero or one row) of a centre with this tracking number."""
    return Case.objects.filter(centre=centre, tracking_no=tracking_no)


def cases_completed_since(since: datetime) -> QuerySet[Case]:
    return Case.objects.filter(status=Case.Status.COMPLETED, completed_at__gte=since)


# --- the citizen's rating link (一事一评; the page is complaints') ------------------------------------------


def rating_link_for_token(*, token: str) -> RatingLink | None:
    """The rating link of this token (used, expired or not: the page says which), with its case, or None."""
    if not token:
        return None
    return (
        RatingLink.objects.select_related("case__centre", "case__matter_type", "window", "handler")
        .filter(token_hash=rating_token_hash(token))
        .first()
    )


def case_has_rating_link(*, case_id: int) -> bool:
    return RatingLink.objects.filter(case_id=case_id).exists()
