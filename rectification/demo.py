"""Demo ledger: the 23 problems of the centre's self-inspection plan, in our own words.

Four categories (服务态度, 业务能力, 流程效率, 纪律执行); four of them came from the
first role-swap round (换位体验). Dates are set relative to the day the demo is
loaded, so that some measures are overdue, some near due, some problems closed
(one of them late), and some waiting for a leader to verify the close-out.
Idempotent: a problem whose code exists in the centre is left alone.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from govservice import access
from govservice.models import Centre, Department
from staff.demo import DemoContext
from staff.models import Role, User

from .demo_plan import DISTRICT_PLAN, PLAN
from .models import EvidenceFile, Measure, Problem, ProblemEvent, ProgressUpdate

S = Problem.Status


EVIDENCE_PDF = b"%PDF-1.4\n% demo evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _verifier(problem: Problem, leaders: list[User]) -> User:
    """The first leader independent of the problem (access.can_close_out); else a city leader."""
    for candidate in [*leaders, *User.objects.filter(roles__role=Role.CITY_LEADER).order_by("username")]:
        if access.can_close_out(candidate, problem):
            return candidate
    raise ValueError(problem.code)


def load(ctx: DemoContext) -> None:
    for centre_code, plan in (("city", PLAN), ("gxq", DISTRICT_PLAN)):
        centre = Centre.objects.filter(code=centre_code).first()
        if centre is not None:
            _load_centre(ctx, centre, plan)


@transaction.atomic
def _load_centre(ctx: DemoContext, centre: Centre, plan: list) -> None:
    existing = set(Problem.objects.filter(centre=centre).values_list("code", flat=True))
    todo = [row for row in plan if row[0] not in existing]
    if not todo:
        return
    today = timezone.localdate()
    leaders = list(User.objects.filter(centre=centre, roles__role=Role.LEADER).order_by("username"))
    people = list(
        User.objects.filter(centre=centre, roles__role__in=[Role.LIAISON, Role.WINDOW_STAFF])
        .distinct()
        .order_by("username")[:12]
    )
    if not leaders or not people:
        return
    departments = {d.code: d for d in Department.objects.filter(centre=centre)}
    # The first leader is the demo login: the close-outs waiting for verification are
    # applied for by someone else, so that leader can verify them.
    main_leader, other_leaders = leaders[0], leaders[1:] or leaders

    problems, measures_by_code = [], {}
    for index, (code, category, source, dept, title, text, measures, state, offset) in enumerate(
        ctx.progress(todo, f"{centre.code} ledger")
    ):
        found_on = today - timedelta(days=150 - index)
        person = people[index % len(people)]
        leader = (
            other_leaders[index % len(other_leaders)] if state == S.CLOSE_OUT_APPLIED else leaders[index % len(leaders)]
        )
        problems.append(
            Problem(
                centre=centre,
                code=code,
                category=category,
                title=title,
                description=text,
                source=source,
                found_on=found_on,
                responsible_leader=leader,
                responsible_person=person,
                responsible_department=departments.get(dept),
                status=state,
            )
        )
        measures_by_code[code] = (measures, state, offset, person, departments.get(dept))
    Problem.objects.bulk_create(problems)
    problems = list(Problem.objects.filter(centre=centre, code__in=[p.code for p in problems]))

    measures, events, updates_plan = [], [], []
    for problem in problems:
        specs, state, offset, person, department = measures_by_code[problem.code]
        deadline = today + timedelta(days=offset)
        done = state in (S.CLOSED, S.CLOSE_OUT_APPLIED)
        for number, (text, weight) in enumerate(specs):
            if done:
                progress = 100
            elif state == S.OPEN:
                progress = 0
            else:
                progress = ctx.rng.choice([20, 40, 50, 60, 80]) if number == 0 else ctx.rng.choice([0, 30, 50])
            completed = _at(deadline - timedelta(days=5)) if progress == 100 else None
            measures.append(
                Measure(
                    problem=problem,
                    description=text,
                    owner=person,
                    owner_department=department,
                    deadline=deadline + timedelta(days=7 * number) if not done else deadline,
                    weight=weight,
                    progress=progress,
                    completed_at=completed,
                    milestones=[
                        {"title": "制定方案", "due": (problem.found_on + timedelta(days=14)).isoformat(), "done": True},
                        {"title": "全面落实", "due": deadline.isoformat(), "done": done},
                    ],
                )
            )
        events.append(
            ProblemEvent(problem=problem, kind=ProblemEvent.Kind.CREATED, new_status=S.OPEN, actor=main_leader)
        )
        if state != S.OPEN:
            events.append(
                ProblemEvent(
                    problem=problem,
                    kind=ProblemEvent.Kind.TRANSITION,
                    old_status=S.OPEN,
                    new_status=S.IN_RECTIFICATION,
                    actor=person,
                    note="开始整改",
                )
            )
        if done:
            applied = _at(deadline - timedelta(days=3))
            # One problem (TD-04) was closed after its deadline, so the on-time rate is not 100 %.
            if problem.code == "TD-04" and centre.code == "city":
                applied = _at(deadline + timedelta(days=6))
            problem.close_out_applied_at, problem.close_out_applied_by = applied, person
            events.append(
                ProblemEvent(
                    problem=problem,
                    kind=ProblemEvent.Kind.TRANSITION,
                    old_status=S.IN_RECTIFICATION,
                    new_status=S.CLOSE_OUT_APPLIED,
                    actor=person,
                    note="措施全部完成，附佐证材料申请销号",
                )
            )
        if state == S.CLOSED:
            # Close-out is independent: never the responsible leader or person, nor the applicant.
            verifier = _verifier(problem, leaders)
            assert problem.close_out_applied_at is not None  # noqa: S101 - a closed problem is done: applied above
            problem.closed_at = problem.close_out_applied_at + timedelta(days=2)
            problem.verified_by = verifier
            problem.recheck_on = timezone.localdate(problem.closed_at) + timedelta(days=30)
            if problem.recheck_on < today:
                problem.rechecked_at = _at(problem.recheck_on)
            events.append(
                ProblemEvent(
                    problem=problem,
                    kind=ProblemEvent.Kind.TRANSITION,
                    old_status=S.CLOSE_OUT_APPLIED,
                    new_status=S.CLOSED,
                    actor=verifier,
                    note="现场核查，整改到位，同意销号",
                )
            )
        updates_plan.append(problem)
    Problem.objects.bulk_update(
        problems,
        ["close_out_applied_at", "close_out_applied_by", "closed_at", "verified_by", "recheck_on", "rechecked_at"],
    )
    Measure.objects.bulk_create(measures)
    ProblemEvent.objects.bulk_create(events)
    # auto_now_add stamps "now" on create; the history should show when things happened.
    for event in events:
        problem = event.problem
        stamps: dict[str, datetime | None] = {
            S.OPEN: _at(problem.found_on, 9),
            S.IN_RECTIFICATION: _at(problem.found_on + timedelta(days=3)),
            S.CLOSE_OUT_APPLIED: problem.close_out_applied_at,
            S.CLOSED: problem.closed_at,
        }
        event.created_at = stamps.get(event.new_status) or _at(problem.found_on)
    ProblemEvent.objects.bulk_update(events, ["created_at"])

    # Progress updates: one or two per started measure, dated before today.
    updates: list[ProgressUpdate] = []
    days: list[date] = []  # the day each update (same index) happened
    for measure in Measure.objects.filter(problem__in=problems).select_related("problem"):
        if measure.progress == 0:
            continue
        steps = [measure.progress] if measure.progress < 50 else [measure.progress // 2, measure.progress]
        for step_index, pct in enumerate(steps):
            update = ProgressUpdate(
                measure=measure,
                author=measure.owner,
                percentage=pct,
                text="已完成全部措施，形成长效机制"
                if pct == 100
                else ctx.rng.choice(
                    [
                        "已制定实施方案并召开部署会",
                        "已完成首轮培训，正在跟踪效果",
                        "已在两个窗口试点",
                        "已印发制度并组织学习",
                    ]
                ),
            )
            updates.append(update)
            days.append(measure.problem.found_on + timedelta(days=20 + 25 * step_index))
    ProgressUpdate.objects.bulk_create(updates)
    for update, day in zip(updates, days, strict=True):
        update.created_at = _at(min(day, today))
    ProgressUpdate.objects.bulk_update(updates, ["created_at"])

    # One small evidence file per problem that applied for close-out.
    for problem in problems:
        if problem.close_out_applied_by_id:
            evidence = EvidenceFile(
                problem=problem,
                original_name=f"{problem.code}-整改佐证.pdf",
                content_type="application/pdf",
                size=len(EVIDENCE_PDF),
                sha256=hashlib.sha256(EVIDENCE_PDF).hexdigest(),
                uploaded_by=problem.close_out_applied_by,
            )
            evidence.file.save(f"{problem.code}.pdf", ContentFile(EVIDENCE_PDF), save=False)
            evidence.save()
