"""Reads for the ledger, scoped by centre through staff.selectors (out of scope looks like "not found")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    Expression,
    F,
    Field,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.categories import ProblemCategory
from staff.models import User
from staff.selectors import city_leaders, get_in_scope, leaders_of, scope_to_user

from .hooks import problem_counter
from .models import EvidenceFile, Measure, Problem, ProblemEvent, ProgressUpdate


@dataclass(frozen=True)
class LedgerFilters:
    category: str = ""
    status: str = ""
    overdue: bool = False
    department: int | None = None
    centre: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> LedgerFilters:
        get = params.get
        department = get("department") or ""
        return cls(
            category=get("category") or "",
            status=get("status") or "",
            overdue=(get("overdue") or "") in ("1", "true", "on", "yes"),
            department=int(department) if str(department).isdigit() else None,
            centre=get("centre") or "",
            q=(get("q") or "").strip(),
        )

    def as_query(self) -> dict[str, str]:
        out = {
            "category": self.category,
            "status": self.status,
            "overdue": "1" if self.overdue else "",
            "department": str(self.department or ""),
            "centre": self.centre,
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}


class LedgerFigures(TypedDict):
    """What `with_ledger_figures` annotates on each problem."""

    progress_pct: float
    deadline: date | None
    overdue_measures: int
    complaint_count: int
    review_count: int
    measure_count: int


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # A problem read through the ledger's selectors: the row with its figures.
    type LedgerProblem = WithAnnotations[Problem, LedgerFigures]
else:
    # django_stubs_ext comes with django-stubs, a development requirement only; at run time the row is a
    # Problem, and the name must exist because drf-spectacular evaluates the serializers' hints.
    LedgerProblem = Problem


def _sub(queryset: QuerySet[Measure], expression: Expression, output_field: Field[Any, Any]) -> Subquery:
    """A correlated one-value aggregate: avoids join fan-out when several aggregates meet."""
    return Subquery(
        queryset.order_by().values("problem").annotate(v=expression).values("v")[:1],
        output_field=output_field,
    )


def with_ledger_figures(queryset: QuerySet[Problem], *, today: date | None = None) -> QuerySet[LedgerProblem]:
    """Annotate progress (weighted by measure), deadline, overdue measures and evidence counts in the DB."""
    today = today or timezone.localdate()
    measures = Measure.objects.filter(problem=OuterRef("pk"))
    weighted = _sub(measures, Sum(F("progress") * F("weight")), IntegerField())
    weights = _sub(measures, Sum("weight"), IntegerField())
    overdue = _sub(measures.filter(completed_at__isnull=True, deadline__lt=today), Count("id"), IntegerField())
    return queryset.annotate(
        progress_pct=Coalesce(
            Cast(weighted, FloatField()) / Cast(weights, FloatField()), Value(0.0), output_field=FloatField()
        ),
        deadline=_sub(measures, Max("deadline"), DateField()),
        overdue_measures=Coalesce(overdue, 0),
        # Counted by the apps that hold the voices (complaints), through the ledger's hooks.
        complaint_count=Coalesce(problem_counter("complaint_count"), 0),
        review_count=Coalesce(problem_counter("review_count"), 0),
        measure_count=Coalesce(_sub(measures, Count("id"), IntegerField()), 0),
    )


def problem_list_for(
    *, user: User, filters: LedgerFilters | None = None, today: date | None = None
) -> QuerySet[LedgerProblem]:
    filters = filters or LedgerFilters()
    today = today or timezone.localdate()
    queryset = scope_to_user(Problem.objects.all(), user).select_related(
        "centre", "responsible_department", "responsible_person", "responsible_leader", "window"
    )
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.centre:
        queryset = queryset.filter(centre__code=filters.centre)
    if filters.department:
        queryset = queryset.filter(
            Q(responsible_department_id=filters.department)
            | Q(Exists(Measure.objects.filter(problem=OuterRef("pk"), owner_department_id=filters.department)))
        )
    if filters.overdue:
        queryset = queryset.exclude(status=Problem.Status.CLOSED).filter(
            Exists(Measure.objects.filter(problem=OuterRef("pk"), completed_at__isnull=True, deadline__lt=today))
        )
    if filters.q:
        queryset = queryset.filter(
            Q(code__icontains=filters.q) | Q(title__icontains=filters.q) | Q(description__icontains=filters.q)
        )
    category_order = Case(
        *[When(category=value, then=Value(index)) for index, value in enumerate(ProblemCategory.values)],
        default=Value(9),
        output_field=IntegerField(),
    )
    return with_ledger_figures(queryset, today=today).order_by("centre__code", category_order, "code")


def problem_list_with_measures_for(*, user: User, filters: LedgerFilters | None = None) -> QuerySet[LedgerProblem]:
    """For exports and the print view: problems with measures and their latest update, in 3 queries."""
    updates = ProgressUpdate.objects.order_by("-created_at", "-id")
    return problem_list_for(user=user, filters=filters).prefetch_related(
        Prefetch(
            "measures",
            queryset=Measure.objects.select_related("owner", "owner_department").prefetch_related(
                Prefetch("updates", queryset=updates, to_attr="update_list")
            ),
        ),
        Prefetch("events", queryset=ProblemEvent.objects.select_related("actor"), to_attr="event_list"),
    )


def problem_get_for(*, user: User, problem_id: int) -> LedgerProblem:
    queryset = with_ledger_figures(
        Problem.objects.select_related(
            "centre",
            "responsible_department",
            "responsible_person",
            "responsible_leader",
            "window",
            "verified_by",
            "close_out_applied_by",
        )
    )
    return get_in_scope(queryset, user, pk=problem_id)


def close_out_verifiers(problem: Problem) -> list[User]:
    """Who is asked to verify `problem`'s close-out: its centre's leaders independent of it
    (govservice.access.can_close_out); where there is none (a centre with a single leader, who is the
    responsible leader), the close-out escalates to the city leaders."""
    centre_leaders = [u for u in leaders_of(problem.centre).order_by("id") if access.can_close_out(u, problem)]
    if centre_leaders:
        return centre_leaders
    return [u for u in city_leaders().order_by("id") if access.can_close_out(u, problem)]


def close_out_escalated(problem: Problem) -> bool:
    """No leader of the problem's own centre may verify it: the close-out goes to the city level."""
    return not any(access.can_close_out(u, problem) for u in leaders_of(problem.centre))


def measure_list_for_problem(problem: Problem) -> QuerySet[Measure]:
    return (
        problem.measures.select_related("owner", "owner_department")
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=ProgressUpdate.objects.select_related("author").prefetch_related("files"),
                to_attr="update_list",
            )
        )
        .order_by("deadline", "id")
    )


def event_list_for_problem(problem: Problem) -> QuerySet[ProblemEvent]:
    return problem.events.select_related("actor").order_by("-created_at", "-id")


def evidence_get_for(*, user: User, evidence_id: int) -> EvidenceFile:
    return get_in_scope(
        EvidenceFile.objects.select_related("problem"), user, centre_field="problem__centre", pk=evidence_id
    )


def measure_list_for(*, user: User) -> QuerySet[Measure]:
    """Every measure in scope, the earliest deadline first (the measure list; figures narrow it by metric)."""
    return (
        scope_to_user(Measure.objects.all(), user, centre_field="problem__centre")
        .select_related("problem", "problem__centre", "owner", "owner_department")
        .order_by("deadline", "id")
    )


def measure_get_for(*, user: User, measure_id: int) -> Measure:
    return get_in_scope(Measure.objects.select_related("problem"), user, centre_field="problem__centre", pk=measure_id)


# --- for the leaders' dashboard (dashboard app): unscoped, the dashboard scopes by centre ---


def problem_list_unscoped() -> QuerySet[Problem]:
    return Problem.objects.all()


@dataclass(frozen=True)
class ProblemDeadlineFacts:
    problems: QuerySet[Problem]  # annotated: last_deadline, has_overdue, closed_on
    overdue_measures: QuerySet[Measure]  # open measures past their deadline, of problems not closed


def problem_deadline_facts(*, problems: QuerySet[Problem], department: int | None, today: date) -> ProblemDeadlineFacts:
    """`problems` (a department's: responsible, or owning a measure) with what the on-time figures need."""
    measures = Measure.objects.filter(problem=OuterRef("pk"))
    if department:
        problems = problems.filter(
            Q(responsible_department_id=department) | Q(Exists(measures.filter(owner_department_id=department)))
        )
    deadline = Subquery(
        measures.order_by().values("problem").annotate(d=Max("deadline")).values("d")[:1], output_field=DateField()
    )
    annotated = problems.annotate(
        last_deadline=deadline,
        has_overdue=Exists(measures.filter(completed_at__isnull=True, deadline__lt=today)),
        closed_on=TruncDate("closed_at"),
    )
    overdue = Measure.objects.filter(problem__in=problems, completed_at__isnull=True, deadline__lt=today)
    return ProblemDeadlineFacts(annotated, overdue.exclude(problem__status=Problem.Status.CLOSED))


# --- for other apps (complaints link a voice to a ledger problem of its own centre) ---------------------------


def problems_of(*, centre_id: int) -> QuerySet[Problem]:
    """One centre's ledger problems by code."""
    return Problem.objects.filter(centre_id=centre_id).order_by("code")


def no_problems() -> QuerySet[Problem]:
    """An empty placeholder for a form field whose choices are set per request."""
    return Problem.objects.none()


def problem_by_code(*, centre_id: int, code: str) -> Problem | None:
    return Problem.objects.filter(centre_id=centre_id, code=code).first()


def close_out_decision_summary(*, problem: Problem, to: str) -> str:
    """What deciding a close-out (销号) request will do, in a sentence for the confirmation step."""
    if to == Problem.Status.CLOSED:
        recheck = timezone.localdate() + timedelta(days=settings.RECTIFICATION_RECHECK_DAYS)
        return _("验收通过：%(code)s 销号，离开台账；%(date)s 回头看。") % {
            "code": problem.code,
            "date": recheck.isoformat(),
        }
    return _("退回：%(code)s 的销号申请不通过，问题回到整改中，责任人 %(person)s 收到退回理由。") % {
        "code": problem.code,
        "person": problem.responsible_person.name,
    }
