"""Services for tiered training, mentors and role-swap experience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import Conflict, NotPermitted, ValidationFailed
from govservice.models import Centre
from staff.models import Role, User
from staff.selectors import active_staff_with_roles, person_get

from .models import (
    MAX_MENTEES,
    MENTOR_MIN_YEARS,
    Appraisal,
    Attendance,
    DutyKind,
    MentorDuty,
    MentorPairing,
    RoleSwapFinding,
    RoleSwapPlan,
    RoleSwapReport,
    TrainingPlan,
    TrainingSession,
    full_years_between,
    seniority_band,
)

# --- Training -------------------------------------------------------------------------


def session_audience(session: TrainingSession) -> list[User]:
    """The window staff a session is for: its position type and seniority band on the session date."""
    staff = (
        active_staff_with_roles(centre_id=session.centre_id, roles=(Role.WINDOW_STAFF,))
        .filter(started_on__lte=session.held_on)
        .distinct()
    )
    if session.position_type:
        staff = staff.filter(position_type=session.position_type)
    people = list(staff.order_by("username"))
    if session.band:
        people = [
            p
            for p in people
            if p.started_on is not None and seniority_band(p.started_on, session.held_on) == session.band
        ]  # started_on is set for all of them (filtered above); the check tells mypy
    return people


@transaction.atomic
def attendance_sign_in(*, session: TrainingSession, staff: User, at: datetime | None = None) -> Attendance:
    """Sign in once; a second sign-in returns the first."""
    if staff.centre_id != session.centre_id:
        raise NotPermitted(_("只能签到本中心的培训。"))
    attendance, _created = Attendance.objects.get_or_create(
        session=session, staff=staff, defaults={"signed_in_at": at or timezone.now()}
    )
    from .scoring.talks import enrolment_attended  # scoring imports this module's models only

    enrolment_attended(session=session, staff_id=staff.id, actor=None)
    return attendance


@dataclass(frozen=True)
class PlanLine:
    plan: TrainingPlan
    sessions_held: int
    attendances: int

    @property
    def sessions_share(self) -> int:
        return round(100 * self.sessions_held / self.plan.planned_sessions) if self.plan.planned_sessions else 0

    @property
    def attendance_share(self) -> int:
        return round(100 * self.attendances / self.plan.planned_attendances) if self.plan.planned_attendances else 0


@dataclass(frozen=True)
class PlanSummary:
    lines: list[PlanLine]
    planned_sessions: int
    planned_attendances: int
    sessions_held: int
    attendances: int


def training_plan_vs_actual(*, centre: Centre, year: int, until: date | None = None) -> PlanSummary:
    """Each plan line against the sessions held (and their sign-ins) of the same type and audience."""
    sessions = TrainingSession.objects.filter(centre=centre, held_on__year=year)
    if until:
        sessions = sessions.filter(held_on__lte=until)
    held = {
        (row["session_type"], row["position_type"], row["band"]): row
        for row in sessions.values("session_type", "position_type", "band")
        .annotate(n=Count("id", distinct=True), signed=Count("attendances"))
        .order_by()
    }
    lines = []
    for plan in TrainingPlan.objects.filter(centre=centre, year=year).order_by("session_type", "position_type"):
        row = held.get((plan.session_type, plan.position_type, plan.band))
        sessions_held, attendances = (row["n"], row["signed"]) if row is not None else (0, 0)
        lines.append(PlanLine(plan=plan, sessions_held=sessions_held, attendances=attendances))
    return PlanSummary(
        lines=lines,
        planned_sessions=sum(line.plan.planned_sessions for line in lines),
        planned_attendances=sum(line.plan.planned_attendances for line in lines),
        sessions_held=sum(line.sessions_held for line in lines),
        attendances=sum(line.attendances for line in lines),
    )


@dataclass(frozen=True)
class Missed:
    session: TrainingSession
    staff: list[User]


def training_missed(*, centre: Centre, since: date, until: date) -> list[Missed]:
    """Who was expected at which session and did not sign in."""
    sessions = list(
        TrainingSession.objects.filter(centre=centre, held_on__gte=since, held_on__lte=until)
        .prefetch_related("attendances")
        .order_by("-held_on")
    )
    result = []
    for session in sessions:
        signed = {a.staff_id for a in session.attendances.all()}
        missing = [p for p in session_audience(session) if p.id not in signed]
        if missing:
            result.append(Missed(session=session, staff=missing))
    return result


# --- Mentors --------------------------------------------------------------------------


def mentor_ineligibility(mentor: User, on: date) -> list[str]:
    """Why this person cannot mentor (empty when they can): ≥ 5 years on the windows, excellent last appraisal.

    The appraisal of year Y is made after Y ends, so on a day of year Y+1 the last one is Y's.
    """
    reasons = []
    if not mentor.started_on or full_years_between(mentor.started_on, on) < MENTOR_MIN_YEARS:
        reasons.append(_("窗口工作不满 %(years)d 年") % {"years": MENTOR_MIN_YEARS})
    last = Appraisal.objects.filter(staff=mentor, year__lt=on.year).order_by("-year").first()
    if last is None or last.grade != Appraisal.Grade.EXCELLENT:
        reasons.append(_("最近一次年度考核不是优秀"))
    return reasons


def mentor_pair(
    *, mentor: User, mentee: User, actor: User, reason: str, started_on: date | None = None
) -> MentorPairing:
    started_on = started_on or timezone.localdate()
    if not access.can_manage_centre(actor, mentor.centre_id):
        raise NotPermitted()
    if mentor.id == mentee.id:
        raise ValidationFailed(_("导师不能带自己。"), field="mentee")
    centre_id = mentor.centre_id
    if centre_id is None or centre_id != mentee.centre_id:  # no centre is nobody's centre
        raise ValidationFailed(_("导师和学员须在同一中心。"), field="mentee")
    reasons = mentor_ineligibility(mentor, started_on)
    if reasons:
        raise ValidationFailed(_("不符合导师条件：%(reasons)s。") % {"reasons": "；".join(reasons)}, field="mentor")
    try:
        with transaction.atomic():
            # Lock the mentor's row so two pairings at once cannot both take the last slot.
            person_get(person_id=mentor.id, for_update=True)
            if MentorPairing.objects.filter(mentee=mentee, ended_on__isnull=True).exists():
                raise Conflict(_("该学员已有导师。"))
            taken = set(
                MentorPairing.objects.filter(mentor=mentor, ended_on__isnull=True).values_list("slot", flat=True)
            )
            free = [slot for slot in range(1, MAX_MENTEES + 1) if slot not in taken]
            if not free:
                raise Conflict(_("每位导师最多带 %(n)d 名学员。") % {"n": MAX_MENTEES})
            pairing = MentorPairing.objects.create(
                centre_id=centre_id,
                mentor=mentor,
                mentee=mentee,
                slot=free[0],
                reason=reason,
                started_on=started_on,
            )
            if not access.is_mentor(mentor):
                from staff.services import staff_role_grant

                staff_role_grant(user=mentor, role=Role.MENTOR)
    except IntegrityError as exc:  # the database caps it too
        raise Conflict(_("每位导师最多带 %(n)d 名学员。") % {"n": MAX_MENTEES}) from exc
    return pairing


@transaction.atomic
def mentor_pairing_take_over(*, pairing_id: int, from_user: User, to_user: User, actor: User) -> MentorPairing:
    """A mentor is away or leaving: a leader of the centre ends the pairing today and pairs the mentee with
    another mentor, who must meet the mentor rules (years on the windows, appraisal, two mentees at most)."""
    pairing = MentorPairing.objects.select_for_update().select_related("mentee").filter(id=pairing_id).first()
    if pairing is None:
        raise ValidationFailed(_("未找到该结对。"), field="items")
    if not access.can_reassign_work(actor, pairing.centre_id):
        raise NotPermitted(_("只有本中心领导可以转交他人的工作。"))
    if pairing.ended_on is not None or pairing.mentor_id != from_user.id:
        raise Conflict(_("%(mentee)s 已不由 %(person)s 带教。") % {"mentee": pairing.mentee, "person": from_user})
    today = timezone.localdate()
    pairing.ended_on = today
    pairing.save(update_fields=["ended_on", "updated_at"])
    try:
        return mentor_pair(mentor=to_user, mentee=pairing.mentee, actor=actor, reason=pairing.reason, started_on=today)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{pairing.mentee}：{exc.message}", field="to_user") from exc


@transaction.atomic
def mentor_duty_record(*, pairing: MentorPairing, kind: str, done_on: date, actor: User, note: str = "") -> MentorDuty:
    if actor.id != pairing.mentor_id and not access.can_manage_centre(actor, pairing.centre_id):
        raise NotPermitted()
    if done_on < pairing.started_on or (pairing.ended_on and done_on > pairing.ended_on):
        raise ValidationFailed(_("日期不在结对期间内。"), field="done_on")
    if done_on > timezone.localdate():
        raise ValidationFailed(_("不能登记未来的履职。"), field="done_on")
    return MentorDuty.objects.create(pairing=pairing, kind=kind, done_on=done_on, note=note)


@transaction.atomic
def mentee_mark_independent(*, pairing: MentorPairing, on: date, actor: User) -> MentorPairing:
    if actor.id != pairing.mentor_id and not access.can_manage_centre(actor, pairing.centre_id):
        raise NotPermitted()
    if on < pairing.started_on:
        raise ValidationFailed(_("独立上岗日期不能早于结对日期。"), field="independent_on")
    pairing.independent_on = on
    pairing.save(update_fields=["independent_on", "updated_at"])
    return pairing


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date


def _periods(kind: str, start: date, until: date) -> list[Period]:
    """Complete periods (week Mon–Sun, calendar month, calendar quarter) inside [start, until].

    A period that began before the pairing is not required: the mentor could not have met it.
    """
    periods = []
    if kind == DutyKind.GUIDANCE:
        cursor = start + timedelta(days=(7 - start.weekday()) % 7)
        while cursor + timedelta(days=6) <= until:
            periods.append(Period(kind, cursor, cursor + timedelta(days=6)))
            cursor += timedelta(days=7)
        return periods
    months = 1 if kind == DutyKind.CASE_REVIEW else 3
    first_month = start.month if months == 1 else 3 * ((start.month - 1) // 3) + 1
    cursor = date(start.year, first_month, 1)
    while True:
        month_index = cursor.month - 1 + months
        following = date(cursor.year + month_index // 12, month_index % 12 + 1, 1)
        end = following - timedelta(days=1)
        if end > until:
            return periods
        if cursor >= start:
            periods.append(Period(kind, cursor, end))
        cursor = following


def mentor_missed_duties(pairing: MentorPairing, *, until: date | None = None) -> list[Period]:
    """Every complete week / month / quarter of the pairing without the duty logged."""
    until = until or timezone.localdate()
    if pairing.ended_on and pairing.ended_on < until:
        until = pairing.ended_on
    logged = list(pairing.duties.values_list("kind", "done_on"))
    missed = []
    for kind in DutyKind.values:
        days = [d for k, d in logged if k == kind]
        for period in _periods(kind, pairing.started_on, until):
            if not any(period.start <= d <= period.end for d in days):
                missed.append(period)
    return missed


def mentor_pairings_for(*, centre: Centre) -> QuerySet[MentorPairing]:
    return (
        MentorPairing.objects.filter(centre=centre)
        .select_related("mentor", "mentee", "mentee__window")
        .annotate(
            guidance=Count("duties", filter=Q(duties__kind=DutyKind.GUIDANCE)),
            reviews=Count("duties", filter=Q(duties__kind=DutyKind.CASE_REVIEW)),
            assessments=Count("duties", filter=Q(duties__kind=DutyKind.ASSESSMENT)),
        )
        .order_by("ended_on", "mentor__username", "slot")
    )


# --- Role-swap ------------------------------------------------------------------------


@transaction.atomic
def role_swap_report_file(
    *,
    plan: RoleSwapPlan,
    actor: User,
    done_on: date,
    what_was_done: str,
    minutes_taken: int,
    findings: list[dict] | None = None,
) -> RoleSwapReport:
    if actor.id != plan.staff_id and not access.can_manage_centre(actor, plan.centre_id):
        raise NotPermitted()
    if hasattr(plan, "report"):
        raise Conflict(_("该计划已提交报告。"))
    if not what_was_done.strip():
        raise ValidationFailed(_("请写明体验过程。"), field="what_was_done")
    report = RoleSwapReport.objects.create(
        plan=plan, done_on=done_on, what_was_done=what_was_done.strip(), minutes_taken=minutes_taken
    )
    for finding in findings or []:
        RoleSwapFinding.objects.create(report=report, **finding)
    return report


@transaction.atomic
def role_swap_finding_to_ledger(*, finding_id: int, actor: User, responsible_person: User | None = None):
    """One step from a problem met during the experience to a ledger item (source: role-swap), linked back."""
    from rectification.models import ProblemSource
    from rectification.services import problem_create
    from staff.selectors import leaders_of

    finding = RoleSwapFinding.objects.select_for_update().select_related("report__plan__centre").get(id=finding_id)
    report = finding.report
    centre = report.plan.centre
    if not access.can_manage_centre(actor, centre.id):
        raise NotPermitted(_("只有中心领导或管理员可以把问题列入台账。"))
    if finding.problem_id:
        return finding.problem  # already in the ledger: a repeated click changes nothing
    leader = actor if access.is_centre_leader(actor) else leaders_of(centre).order_by("username").first()
    if leader is None:
        raise ValidationFailed(_("中心还没有领导，无法指定责任领导。"))
    problem = problem_create(
        actor=actor,
        centre=centre,
        category=finding.category,
        title=finding.title,
        description=_("%(text)s\n（来源：%(year)s 年第 %(quarter)s 季度换位体验“%(matter)s”，体验人 %(who)s）")
        % {
            "text": finding.description,
            "year": report.plan.year,
            "quarter": report.plan.quarter,
            "matter": report.plan.matter,
            "who": report.plan.staff.name,
        },
        source=ProblemSource.ROLE_SWAP,
        window=report.window,
        found_on=report.done_on,
        responsible_leader=leader,
        responsible_department=report.window.department if report.window else None,
        responsible_person=responsible_person or leader,
    )
    finding.problem = problem
    finding.save(update_fields=["problem", "updated_at"])
    return problem
