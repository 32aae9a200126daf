"""Scoped reads for scoring, training, mentors and role-swap. Out of scope looks like not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from govservice import access
from govservice.models import Centre
from staff.models import User
from staff.selectors import centre_list_for, scope_to_user

from .models import (
    FollowUp,
    IndicatorScore,
    MentorPairing,
    ReminderTalk,
    RoleSwapFinding,
    RoleSwapPlan,
    ScoreAppeal,
    ScoringRun,
    StaffMonthScore,
    TrainingEnrolment,
    TrainingSession,
)


def parse_month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError as exc:
        raise Http404 from exc


def managed_centre(*, user: User, code: str | None = None) -> Centre:
    """The centre a manager works on: their own, or (city-wide) the one asked for."""
    if not access.has_management_role(user):
        raise Http404
    centres = centre_list_for(user=user)
    own = (centres.filter(id=user.centre_id).first() if user.centre_id is not None else None) or centres.first()
    centre = centres.filter(code=code).first() if code else own
    if centre is None:
        raise Http404
    return centre


def run_list_for(*, user: User, centre: Centre) -> QuerySet[ScoringRun]:
    return scope_to_user(ScoringRun.objects.filter(centre=centre), user).select_related("scheme").order_by("-month")


def run_get_for(*, user: User, centre: Centre, month: date) -> ScoringRun | None:
    if not access.has_management_role(user):
        raise Http404
    return run_list_for(user=user, centre=centre).filter(month=month).first()


def month_scores(run: ScoringRun) -> QuerySet[StaffMonthScore]:
    return run.scores.select_related("staff", "window").order_by("-ranked", "position", "staff__username")


def my_score_list(*, user: User) -> QuerySet[StaffMonthScore]:
    """One's own published months (a preview or a locked month)."""
    return (
        StaffMonthScore.objects.filter(
            staff=user, run__status__in=[ScoringRun.Status.PREVIEW, ScoringRun.Status.LOCKED]
        )
        .select_related("run", "window")
        .order_by("-run__month")
    )


def score_breakdown(score: StaffMonthScore) -> list[IndicatorScore]:
    return list(
        score.indicator_scores.select_related("indicator", "indicator__dimension").order_by(
            "indicator__dimension__order", "indicator__order", "indicator__id"
        )
    )


def appeals_for_month(*, run: ScoringRun) -> QuerySet[ScoreAppeal]:
    return ScoreAppeal.objects.filter(centre=run.centre, month=run.month).select_related("staff", "decided_by")


def appeal_list_for(*, user: User) -> QuerySet[ScoreAppeal]:
    """Score appeals of the centres in the user's scope (a city-wide user: every centre), oldest first."""
    return (
        scope_to_user(ScoreAppeal.objects.all(), user)
        .select_related("centre", "staff", "decided_by")
        .order_by("created_at", "id")
    )


def appeal_get_for(*, user: User, appeal_id: int) -> ScoreAppeal:
    appeal = appeal_list_for(user=user).filter(id=appeal_id).first()
    if appeal is None:
        raise Http404
    return appeal


def follow_ups_for(*, centre: Centre) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(centre=centre)
        .select_related("staff", "assignee", "enrolment", "enrolment__session")
        .order_by("status", "-month")
    )


def reminder_talks_for(*, centre: Centre) -> QuerySet[ReminderTalk]:
    return (
        ReminderTalk.objects.filter(centre=centre)
        .select_related("staff", "leader")
        .prefetch_related("events")
        .order_by("status", "-month", "staff__username")
    )


def training_enrolments_for(*, centre: Centre) -> QuerySet[TrainingEnrolment]:
    """Retraining enrolments (two bottom months in a row), open ones first, each with its follow-up."""
    return (
        TrainingEnrolment.objects.filter(centre=centre)
        .select_related("staff", "follow_up", "session")
        .order_by("status", "-created_at")
    )


@dataclass(frozen=True)
class BoardStar:
    name: str
    window: str
    photo_url: str


def star_board(*, centre: Centre) -> tuple[ScoringRun | None, list[BoardStar]]:
    """The latest locked month's stars: name, window and photo only."""
    run = ScoringRun.objects.filter(centre=centre, status=ScoringRun.Status.LOCKED).order_by("-month").first()
    if run is None:
        return None, []
    stars = run.scores.filter(is_star=True).select_related("staff", "window").order_by("position")
    return run, [
        BoardStar(
            name=s.staff.name,
            window=str(s.window) if s.window else "",
            photo_url=s.staff.photo.url if s.staff.photo else "",
        )
        for s in stars
    ]


def month_stars(*, centre: Centre, month: date) -> list[BoardStar]:
    """The stars of a month as far as computed: the locked run, or the latest preview (empty before any run)."""
    run = (
        ScoringRun.objects.filter(
            centre=centre,
            month=month.replace(day=1),
            status__in=[ScoringRun.Status.PREVIEW, ScoringRun.Status.LOCKED],
        )
        .order_by("-id")
        .first()
    )
    if run is None:
        return []
    stars = run.scores.filter(is_star=True).select_related("staff", "window").order_by("position")
    return [BoardStar(name=s.staff.name, window=str(s.window) if s.window else "", photo_url="") for s in stars]


def sessions_for(*, user: User, centre: Centre, year: int) -> QuerySet[TrainingSession]:
    return scope_to_user(TrainingSession.objects.filter(centre=centre, held_on__year=year), user).prefetch_related(
        "attendances"
    )


def session_get_for(*, user: User, session_id: int) -> TrainingSession:
    try:
        return scope_to_user(TrainingSession.objects.all(), user).get(id=session_id)
    except TrainingSession.DoesNotExist as exc:
        raise Http404 from exc


def role_swap_plans_for(*, user: User, centre: Centre, year: int) -> QuerySet[RoleSwapPlan]:
    findings = RoleSwapFinding.objects.select_related("problem").order_by("id")
    return (
        scope_to_user(RoleSwapPlan.objects.filter(centre=centre, year=year), user)
        .select_related("staff", "report")
        .prefetch_related(Prefetch("report__findings", queryset=findings))
        .order_by("quarter", "staff__username")
    )


def mentor_pairing_get_for(*, user: User, pairing_id: int) -> MentorPairing:
    try:
        return scope_to_user(MentorPairing.objects.select_related("mentor", "mentee"), user).get(id=pairing_id)
    except MentorPairing.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class DevelopmentFigures:
    """Dashboard numbers: training against plan, mentor duties done and missed, this year's stars."""

    sessions_held: int
    sessions_planned: int
    attendances: int
    attendances_planned: int
    mentor_duties_done: int
    mentor_duties_missed: int
    active_pairings: int


def development_figures(*, centre: Centre, year: int, until: date | None = None) -> DevelopmentFigures:
    """A few aggregate queries plus the duty-gap walk over the (few) active pairings."""
    from . import services as dev
    from .models import MentorDuty

    until = until or date(year, 12, 31)
    summary = dev.training_plan_vs_actual(centre=centre, year=year, until=until)
    pairings = list(MentorPairing.objects.filter(centre=centre, ended_on__isnull=True))
    missed = sum(len(dev.mentor_missed_duties(p, until=until)) for p in pairings)
    done = MentorDuty.objects.filter(pairing__centre=centre, done_on__year=year, done_on__lte=until).count()
    return DevelopmentFigures(
        sessions_held=summary.sessions_held,
        sessions_planned=summary.planned_sessions,
        attendances=summary.attendances,
        attendances_planned=summary.planned_attendances,
        mentor_duties_done=done,
        mentor_duties_missed=missed,
        active_pairings=len(pairings),
    )
