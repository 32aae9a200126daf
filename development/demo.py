"""Demo data for development (idempotent): scoring scheme, spot checks, manual entries, a computed
previous month, the year's training plan with sessions and sign-ins, mentor pairs with duties, role-swap.

`load(ctx)` runs after every lower app's demo (load_demo goes in app order): `load_programmes` computes a
first preview of the previous month, `load_scores` re-computes it with the evaluations and cases and locks
it, so the notice board has stars.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from govservice import access
from govservice.exceptions import DomainError
from govservice.models import Centre
from staff.demo import DemoContext
from staff.models import PositionType, User
from staff.selectors import leaders_of

from .models import (
    Appraisal,
    Attendance,
    DutyKind,
    ManualEntry,
    MentorDuty,
    MentorPairing,
    RoleSwapFinding,
    RoleSwapPlan,
    RoleSwapReport,
    ScoringRun,
    SeniorityBand,
    SessionType,
    SpotCheck,
    TrainingPlan,
    TrainingSession,
    month_start,
    previous_month,
    seniority_band,
)
from .scoring import scoring_run_lock, scoring_run_month, window_staff_of
from .scoring.defaults import scheme_create_default
from .services import mentor_ineligibility, role_swap_finding_to_ledger

TZ = ZoneInfo(settings.TIME_ZONE)

# (session type, position type, band, sessions, attendances, frequency): 48 sessions, 1,200 attendances.
TRAINING_PLAN = [
    (SessionType.NEW_STAFF, "", SeniorityBand.UNDER_1, 24, 240, "每月 2 次"),
    (SessionType.SKILLS, PositionType.COMPREHENSIVE, SeniorityBand.ONE_TO_3, 6, 150, "每两月 1 次"),
    (SessionType.SKILLS, PositionType.PROFESSIONAL, SeniorityBand.ONE_TO_3, 6, 150, "每两月 1 次"),
    (SessionType.SENIOR_SEMINAR, PositionType.COMPREHENSIVE, SeniorityBand.OVER_3, 4, 160, "每季度 1 次"),
    (SessionType.SENIOR_SEMINAR, PositionType.PROFESSIONAL, SeniorityBand.OVER_3, 4, 180, "每季度 1 次"),
    (SessionType.POLICY_UPDATE, "", "", 4, 320, "每季度 1 次"),
]
TOPICS = {
    SessionType.NEW_STAFF: ["窗口服务礼仪", "一次性告知规范", "首问负责制", "容缺受理流程", "好差评制度", "系统操作"],
    SessionType.SKILLS: ["综合受理要点", "专业事项审核", "疑难件处理"],
    SessionType.SENIOR_SEMINAR: ["疑难案例研讨", "跨部门协同"],
    SessionType.POLICY_UPDATE: ["本季度政策更新"],
}
ROLE_SWAP_MATTERS = ["企业开办", "社保转移", "公积金提取", "不动产登记", "医保报销"]
ROLE_SWAP_FINDINGS = [
    ("efficiency", "取号后等待时间过长", "取号到受理约 40 分钟，高峰期无分流引导。"),
    ("ability", "一次性告知不完整", "窗口未告知需要股东身份证复印件，第二次才补齐。"),
    ("attitude", "咨询台答复生硬", "咨询台人员未起身，未主动指引窗口位置。"),
    ("efficiency", "材料重复提交", "社保和医保两个窗口要求提交同一份材料。"),
]


def _aware(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), TZ)


def load(ctx: DemoContext) -> None:
    """Scoring scheme and inputs, training, mentors, role-swap; then last month's scores, read from the
    cases and feedback that the lower apps' demos loaded before this one (load_demo runs in app order)."""
    load_programmes(ctx)
    load_scores(ctx)


def load_programmes(ctx: DemoContext) -> None:
    today = timezone.localdate()
    for centre in ctx.progress(list(Centre.objects.order_by("code")), "staff development"):
        staff = list(window_staff_of(centre).order_by("username"))
        if not staff:
            continue
        with transaction.atomic():
            _scoring(ctx, centre, staff, today)
            _training(ctx, centre, staff, today)
            _mentors(ctx, centre, staff, today)
            _role_swap(ctx, centre, staff, today)
    ctx.logins.append(("city-leader1", "→ /scores/centre/ 服务之星月度评分, /board/city/ 大厅公示屏"))


def load_scores(ctx: DemoContext) -> None:
    """After cases and feedback are loaded: re-compute last month with them and lock it."""
    month = previous_month(month_start(timezone.localdate()))
    for centre in Centre.objects.order_by("code"):
        run = ScoringRun.objects.filter(centre=centre, month=month).first()
        if run is None or run.is_locked:
            continue
        leader = leaders_of(centre).order_by("username").first()
        try:
            run = scoring_run_month(centre=centre, month=month, actor=None)
            if leader is not None:
                scoring_run_lock(run_id=run.id, actor=leader)
        except DomainError as exc:
            ctx.stdout.write(f"  service-star {centre.code}: {exc}")


def _scoring(ctx: DemoContext, centre: Centre, staff: list[User], today: date) -> None:
    last_month = previous_month(month_start(today))
    scheme_create_default(centre=centre, valid_from=date(last_month.year - 1, last_month.month, 1), min_evaluations=5)
    inspector = leaders_of(centre).order_by("username").first()
    if inspector is None:
        return
    if not SpotCheck.objects.filter(centre=centre).exists():
        checks = []
        for month in (previous_month(last_month), last_month):
            for person in staff:
                for _n in range(ctx.rng.randint(2, 4)):
                    day = month + timedelta(days=ctx.rng.randint(0, 27))
                    checks.append(
                        SpotCheck(
                            centre=centre,
                            staff=person,
                            inspector=inspector,
                            checked_at=_aware(day, ctx.rng.randint(9, 16)),
                            response_seconds=ctx.rng.choice([8, 12, 15, 20, 25, 28, 30, 35, 45, 60]),
                            etiquette_score=Decimal(ctx.rng.choice(["7.0", "8.0", "8.5", "9.0", "9.5", "10.0"])),
                            notification_correct=ctx.rng.random() < 0.92,
                            discipline_violations=1 if ctx.rng.random() < 0.06 else 0,
                            note="",
                        )
                    )
        SpotCheck.objects.bulk_create(checks)
    if not ManualEntry.objects.filter(centre=centre).exists():
        entries = []
        for person in ctx.rng.sample(staff, min(8, len(staff))):
            entries.append(
                ManualEntry(
                    centre=centre,
                    staff=person,
                    month=last_month,
                    indicator_code="praise",
                    value=Decimal(1),
                    reason="群众来信表扬",
                    author=inspector,
                )
            )
        for person in staff:
            entries.append(
                ManualEntry(
                    centre=centre,
                    staff=person,
                    month=last_month,
                    indicator_code="quiz",
                    value=Decimal(ctx.rng.randint(72, 100)),
                    reason="月度业务知识测试",
                    author=inspector,
                )
            )
        for person in ctx.rng.sample(staff, min(3, len(staff))):
            entries.append(
                ManualEntry(
                    centre=centre,
                    staff=person,
                    month=last_month,
                    indicator_code="errors",
                    value=Decimal(1),
                    reason="收件材料审核差错一次",
                    author=inspector,
                )
            )
        ManualEntry.objects.bulk_create(entries)
    # Re-computing a preview is idempotent; a second load_demo picks up the feedback loaded since.
    if not ScoringRun.objects.filter(centre=centre, month=last_month, status=ScoringRun.Status.LOCKED).exists():
        scoring_run_month(centre=centre, month=last_month, actor=None)


def _training(ctx: DemoContext, centre: Centre, staff: list[User], today: date) -> None:
    year = today.year
    if TrainingPlan.objects.filter(centre=centre, year=year).exists():
        return
    TrainingPlan.objects.bulk_create(
        TrainingPlan(
            centre=centre,
            year=year,
            session_type=kind,
            position_type=position,
            band=band,
            planned_sessions=sessions,
            planned_attendances=attendances,
            frequency=frequency,
        )
        for kind, position, band, sessions, attendances, frequency in TRAINING_PLAN
    )
    sessions = []
    for month in range(1, today.month + 1):
        first = date(year, month, 1)
        # (session type, position type, seniority band, day); "" stands for every position or band
        plan: list[tuple[SessionType, str, str, date]] = [
            (SessionType.NEW_STAFF, "", SeniorityBand.UNDER_1, first + timedelta(days=7)),
            (SessionType.NEW_STAFF, "", SeniorityBand.UNDER_1, first + timedelta(days=21)),
        ]
        position = PositionType.COMPREHENSIVE if month % 2 else PositionType.PROFESSIONAL
        plan.append((SessionType.SKILLS, position, SeniorityBand.ONE_TO_3, first + timedelta(days=14)))
        if month in (1, 4, 7, 10):
            plan.append((SessionType.POLICY_UPDATE, "", "", first + timedelta(days=10)))
        if month in (2, 5, 8, 11):
            for seminar_position in (PositionType.COMPREHENSIVE, PositionType.PROFESSIONAL):
                plan.append(
                    (SessionType.SENIOR_SEMINAR, seminar_position, SeniorityBand.OVER_3, first + timedelta(days=17))
                )
        for kind, position_type, band, held_on in plan:
            if held_on >= today:
                continue
            sessions.append(
                TrainingSession(
                    centre=centre,
                    session_type=kind,
                    held_on=held_on,
                    topic=ctx.rng.choice(TOPICS[kind]),
                    trainer=ctx.person_name(),
                    position_type=position_type,
                    band=band,
                )
            )
    sessions = TrainingSession.objects.bulk_create(sessions)
    attendances = []
    for session in sessions:
        for person in staff:
            if not person.started_on or person.started_on > session.held_on:
                continue
            if session.position_type and person.position_type != session.position_type:
                continue
            if session.band and seniority_band(person.started_on, session.held_on) != session.band:
                continue
            if ctx.rng.random() < 0.88:
                attendances.append(Attendance(session=session, staff=person, signed_in_at=_aware(session.held_on, 9)))
    Attendance.objects.bulk_create(attendances)


def _mentors(ctx: DemoContext, centre: Centre, staff: list[User], today: date) -> None:
    if MentorPairing.objects.filter(centre=centre).exists():
        return
    last_year = today.year - 1
    mentors = [p for p in staff if access.is_mentor(p)]
    Appraisal.objects.bulk_create(
        [
            Appraisal(
                staff=p,
                year=last_year,
                grade=Appraisal.Grade.EXCELLENT
                if p in mentors
                else ctx.rng.choice(["competent", "competent", "basic"]),
            )
            for p in staff
        ],
        ignore_conflicts=True,
    )
    mentees = [p for p in staff if p.started_on and p.started_on > today - timedelta(days=3 * 365) and p not in mentors]
    pairings = []
    for mentor in mentors:
        if mentor_ineligibility(mentor, today):
            continue
        for slot in (1, 2):
            if not mentees:
                break
            mentee = mentees.pop(0)
            if mentee.started_on is None:  # not one of them: mentees all have a start date (above)
                continue
            started = max(mentee.started_on, today - timedelta(days=120))
            new = seniority_band(mentee.started_on, today) == SeniorityBand.UNDER_1
            pairings.append(
                MentorPairing(
                    centre=centre,
                    mentor=mentor,
                    mentee=mentee,
                    slot=slot,
                    reason=MentorPairing.Reason.NEW_STAFF if new else MentorPairing.Reason.WEAKER,
                    started_on=started,
                    independent_on=started + timedelta(days=ctx.rng.randint(26, 38))
                    if ctx.rng.random() < 0.6
                    else None,
                )
            )
    pairings = MentorPairing.objects.bulk_create(pairings)
    duties = []
    for pairing in pairings:
        day = pairing.started_on
        while day < today:
            if ctx.rng.random() < 0.9:  # a few weeks are missed on purpose: they show up flagged
                duties.append(MentorDuty(pairing=pairing, kind=DutyKind.GUIDANCE, done_on=day, note="现场指导"))
            if day.day <= 7:
                duties.append(MentorDuty(pairing=pairing, kind=DutyKind.CASE_REVIEW, done_on=day, note="案例复盘"))
            if day.day <= 7 and day.month in (1, 4, 7, 10):
                duties.append(MentorDuty(pairing=pairing, kind=DutyKind.ASSESSMENT, done_on=day, note="模拟考核"))
            day += timedelta(days=7)
    MentorDuty.objects.bulk_create(duties)


def _role_swap(ctx: DemoContext, centre: Centre, staff: list[User], today: date) -> None:
    if RoleSwapPlan.objects.filter(centre=centre).exists():
        return
    quarter = (today.month - 1) // 3 + 1
    prev_year, prev_quarter = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    people = ctx.rng.sample(staff, min(6, len(staff)))
    plans = []
    for index, person in enumerate(people):
        year, q = (prev_year, prev_quarter) if index < 3 else (today.year, quarter)
        plans.append(
            RoleSwapPlan(
                centre=centre,
                year=year,
                quarter=q,
                staff=person,
                matter=ROLE_SWAP_MATTERS[index % len(ROLE_SWAP_MATTERS)],
                planned_on=date(year, 3 * (q - 1) + 2, 10),
            )
        )
    plans = RoleSwapPlan.objects.bulk_create(plans)
    leader = leaders_of(centre).order_by("username").first()
    for index, plan in enumerate(plans[:3]):
        report = RoleSwapReport.objects.create(
            plan=plan,
            done_on=plan.planned_on or today,  # every plan above has its day; the field is optional
            what_was_done=f"以群众身份全程体验“{plan.matter}”：取号、咨询、受理、领证。",
            minutes_taken=ctx.rng.randint(45, 150),
            window=plan.staff.window,
        )
        for category, title, description in ROLE_SWAP_FINDINGS[index : index + 2]:
            finding = RoleSwapFinding.objects.create(
                report=report, category=category, title=title, description=description
            )
            if index == 0 and leader is not None:
                role_swap_finding_to_ledger(finding_id=finding.id, actor=leader)
