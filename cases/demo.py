"""Demo matter catalogue and four months of cases in every state (idempotent).

Cases are written in bulk with a consistent history (the same CaseEvent rows the
services write, backdated), so the clock, the timeline and the lists look real
without replaying months through the services. A centre that already has cases
is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from govservice.crypto import lookup_hash
from govservice.masking import mask_id_number
from govservice.models import Centre, Department
from govservice.workdays import WorkCalendar
from staff.demo import DemoContext
from staff.models import Role, User

from .clock import clock_compute
from .models import (
    ApplicantRecord,
    Assistance,
    AssistanceLog,
    Case,
    CaseEvent,
    CaseMaterial,
    Commitment,
    Handover,
    Material,
    MatterType,
    TrackingCounter,
)
from .search import phone_last4
from .services import reminders_plan

S = Case.Status
C = CaseEvent.Clock

# department code, matter code, name, promised, statutory, correction days, [(material, core)]
CATALOGUE = [
    ("scjg", "QYKB-001", "企业开办（有限责任公司设立登记）", 3, 15, 3, [
        ("公司登记（备案）申请书", True), ("公司章程", True), ("股东主体资格证明", True),
        ("住所使用证明", False), ("法定代表人任职文件", False),
    ]),
    ("scjg", "SPJY-001", "食品经营许可", 10, 20, 5, [
        ("食品经营许可申请书", True), ("营业执照", True), ("经营场所平面图", False), ("食品安全管理制度", False),
    ]),
    ("rsj", "SBZY-001", "社保关系转移", 15, 45, 5, [
        ("居民身份证", True), ("参保缴费凭证", True), ("基本养老保险关系转移申请表", False),
    ]),
    ("rsj", "SYBX-001", "失业保险金申领", 5, 20, 3, [
        ("居民身份证", True), ("解除劳动合同证明", True), ("本人银行卡", False),
    ]),
    ("gjj", "GJJTQ-001", "住房公积金提取（购房）", 3, 10, 3, [
        ("居民身份证", True), ("购房合同", True), ("购房发票", False), ("本人银行卡", False),
    ]),
    ("bdc", "BDCZY-001", "不动产登记（二手房转移登记）", 5, 30, 5, [
        ("不动产登记申请书", True), ("居民身份证", True), ("不动产权证书", True), ("房屋买卖合同", True),
        ("完税凭证", False), ("婚姻状况证明", False),
    ]),
    ("ybj", "YBBA-001", "医保异地就医备案", 2, 10, 2, [
        ("居民身份证", True), ("异地就医备案表", True), ("异地居住证明", False),
    ]),
    ("swj", "SWDJ-001", "税务登记信息确认", 2, 10, 2, [
        ("营业执照", True), ("法定代表人身份证", True), ("财务负责人信息", False),
    ]),
    ("gahz", "HKQY-001", "户口迁移", 10, 30, 5, [
        ("居民户口簿", True), ("居民身份证", True), ("准予迁入证明", True), ("住房证明", False),
    ]),
    ("mzj", "GLJT-001", "高龄津贴申领", 10, 20, 5, [
        ("居民身份证", True), ("居民户口簿", True), ("本人银行卡", False),
    ]),
]  # fmt: skip

ENTERPRISE_MATTERS = {"QYKB-001", "SPJY-001", "SWDJ-001"}
COMPANY_WORDS = ["科技", "商贸", "餐饮", "建筑", "文化", "物流", "医药", "教育"]
REGION_CODES = ["110105", "110108", "320102", "330106", "440305", "510104", "420106", "370202"]
DAYS_BACK = 120


def _ric(ctx: DemoContext, born: date) -> str:
    """A syntactically valid resident ID (GB 11643 check digit) with a fictional sequence number."""
    body = f"{ctx.rng.choice(REGION_CODES)}{born:%Y%m%d}{ctx.rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _uscc(ctx: DemoContext) -> str:
    """A valid unified social credit code (GB 32100 check character), fictional."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "9" + "1" + ctx.rng.choice(REGION_CODES) + "".join(ctx.rng.choice(alphabet) for _ in range(9))
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


@dataclass
class Story:
    """One case being written: the case row, its materials and its history."""

    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    materials: list[CaseMaterial] = field(default_factory=list)
    commitment: Commitment | None = None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _catalogue(centre: Centre) -> list[MatterType]:
    departments = {d.code: d for d in Department.objects.filter(centre=centre)}
    matters = []
    for dept, code, name, promised, statutory, correction, materials in CATALOGUE:
        matter, created = MatterType.objects.get_or_create(
            centre=centre,
            code=code,
            defaults={
                "name": name,
                "department": departments.get(dept),
                "promised_days": promised,
                "statutory_days": statutory,
                "correction_days": correction,
            },
        )
        if created:
            Material.objects.bulk_create(
                Material(matter_type=matter, name=m, is_core=core, order=i) for i, (m, core) in enumerate(materials, 1)
            )
        matters.append(matter)
    return matters


@transaction.atomic
def load(ctx: DemoContext) -> None:
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    for centre in ctx.progress(Centre.objects.filter(code__in=["city", "gxq"]).order_by("code"), "cases"):
        matters = _catalogue(centre)
        if Case.objects.filter(centre=centre).exists():
            continue
        staff = list(User.objects.filter(centre=centre, roles__role=Role.WINDOW_STAFF).order_by("username"))
        helpers = list(User.objects.filter(centre=centre, roles__role=Role.HELPER).order_by("username"))
        if not staff:
            continue
        materials = {m.id: list(m.materials.all()) for m in matters}
        count = 260 if centre.code == "city" else 130
        _write_cases(ctx, centre, matters, materials, staff, helpers, calendar, today, count)


def _write_cases(ctx, centre, matters, materials, staff, helpers, calendar, today, count) -> None:  # noqa: ANN001, PLR0913
    rng = ctx.rng
    days = sorted(
        d
        # a third of the cases in the last two weeks, so there is open work to see
        for d in (
            today - timedelta(days=rng.randrange(0, 14 if rng.random() < 0.33 else DAYS_BACK)) for _ in range(count)
        )
    )
    stories: list[Story] = []
    counters: dict[int, int] = {}
    for day in days:
        day = calendar.next_working_day(day) if day < today else today
        day = min(day, today)
        matter = rng.choice(matters)
        actor = rng.choice(staff)
        counters[day.year] = counters.get(day.year, 0) + 1
        enterprise = matter.code in ENTERPRISE_MATTERS and rng.random() < 0.7
        elderly = not enterprise and (matter.code == "GLJT-001" or rng.random() < 0.08)
        disabled = not enterprise and rng.random() < 0.04
        born = date(
            rng.randrange(1940, 1960) if elderly else rng.randrange(1960, 2004),
            rng.randrange(1, 13),
            rng.randrange(1, 28),
        )
        id_number = _uscc(ctx) if enterprise else _ric(ctx, born)
        phone = ctx.phone()
        created = _at(day, rng.randrange(8, 17), rng.randrange(60))
        case = Case(
            tracking_no=f"{centre.tracking_prefix}-{day.year}-{counters[day.year]:06d}",
            centre=centre,
            matter_type=matter,
            window=actor.window,
            applicant_kind=Case.ApplicantKind.ENTERPRISE if enterprise else Case.ApplicantKind.PERSON,
            applicant_name=(
                f"{ctx.person_name()[0]}氏{rng.choice(COMPANY_WORDS)}有限公司" if enterprise else ctx.person_name()
            ),
            applicant_phone=phone,
            applicant_phone_hash=lookup_hash(phone),
            applicant_phone_last4=phone_last4(phone),
            applicant_id_number=id_number,
            applicant_id_hash=lookup_hash(id_number),
            is_elderly=elderly,
            is_disabled=disabled,
            first_responder=actor,
            handler=actor,
            created_at=created,
        )
        story = Story(case)
        story.events.append(
            CaseEvent(kind="status", new_status=S.CONSULTATION, actor=actor, note="登记", created_at=created)
        )
        _plot(ctx, story, materials[matter.id], actor, staff, calendar, today)
        stories.append(story)

    Case.objects.bulk_create([s.case for s in stories])
    Case.objects.bulk_update([s.case for s in stories], ["created_at"])  # auto_now_add overwrote it
    for story in stories:
        items: list[CaseEvent | CaseMaterial] = [*story.events, *story.materials]
        for item in items:
            item.case = story.case
        if story.commitment:
            story.commitment.case = story.case
    CaseEvent.objects.bulk_create([e for s in stories for e in s.events])
    CaseMaterial.objects.bulk_create([m for s in stories for m in s.materials])
    Commitment.objects.bulk_create([s.commitment for s in stories if s.commitment])
    for year, last in counters.items():
        TrackingCounter.objects.update_or_create(centre=centre, year=year, defaults={"last_value": last})
    for story in stories:
        case = story.case
        if case.status == S.TERMINATED:
            ApplicantRecord.objects.create(
                centre=centre,
                id_hash=case.applicant_id_hash,
                id_masked=mask_id_number(case.applicant_id_number),
                kind=ApplicantRecord.Kind.BROKEN,
                case=case,
                note=f"办件 {case.tracking_no} 未在期限内补正",
                created_at=story.events[-1].created_at,
            )
        if case.status == S.AWAITING_CORRECTION:
            reminders_plan(case=case)
    _assistance(ctx, stories, helpers)
    _handovers(ctx, stories, staff)


def _plot(ctx, story: Story, materials: list[Material], actor: User, staff, calendar, today: date) -> None:  # noqa: ANN001, C901, PLR0912, PLR0915
    """Decide what happened to the case and write its history."""
    rng = ctx.rng
    case = story.case
    matter = case.matter_type
    start = timezone.localtime(case.created_at)
    age = (today - start.date()).days
    roll = rng.random()

    def add(
        to: str, when: datetime, note: str = "", clock: str = "", kind: str = "status", who: User | None = actor
    ) -> None:
        old = case.status
        story.events.append(
            CaseEvent(kind=kind, old_status=old if kind == "status" else "", new_status=to if kind == "status" else "",
                      clock=clock, actor=who, note=note, created_at=when)
        )  # fmt: skip
        if kind == "status":
            case.status = to

    deficient = roll < 0.22 and any(not m.is_core for m in materials)
    deferred_ids = set()
    if deficient:
        secondary = [m for m in materials if not m.is_core]
        deferred_ids = {m.id for m in rng.sample(secondary, k=min(len(secondary), rng.choice([1, 1, 2])))}
    for m in materials:
        story.materials.append(
            CaseMaterial(material=m, name=m.name, is_core=m.is_core,
                         state=CaseMaterial.State.DEFERRED if m.id in deferred_ids else CaseMaterial.State.PROVIDED)
        )  # fmt: skip
    accepted = start + timedelta(minutes=rng.randrange(5, 25))

    if roll > 0.97:
        add(S.REJECTED, accepted, "不符合法定受理条件：申请人不具备申请资格")
        case.reject_reason = "not_eligible"
        return
    if roll > 0.94:
        if age > 1:
            add(S.WITHDRAWN, accepted, "申请人主动撤回申请")
        else:
            for material in story.materials:
                material.state = CaseMaterial.State.PROVIDED if rng.random() < 0.6 else CaseMaterial.State.MISSING
        return

    case.accepted_at = accepted
    resume_day = accepted.date()
    if deficient:
        deadline = calendar.add_working_days(accepted.date(), matter.correction_days)
        story.commitment = Commitment(
            deadline=deadline.date, deadline_provisional=deadline.provisional,
            submit_method=rng.choice(["window", "window", "post", "online"]), signed_at=accepted,
        )  # fmt: skip
        case.correction_deadline = deadline.date
        names = "、".join(m.name for m in story.materials if m.state == CaseMaterial.State.DEFERRED)
        add(S.ACCEPTED_DEFICIENT, accepted, "容缺受理，签署承诺书", C.START)
        add(S.AWAITING_CORRECTION, accepted + timedelta(seconds=1), f"待补正：{names}（期限 {deadline.date}）", C.PAUSE)
        if deadline.date >= today:
            return  # still awaiting: reminders are planned after the bulk write
        if rng.random() < 0.15:
            add(S.TERMINATED, _at(deadline.date + timedelta(days=1), 0, 10),
                f"补正期限 {deadline.date} 已过，未补齐材料，终止办理", C.STOP, who=None)  # fmt: skip
            return
        received_day = calendar.add_working_days(accepted.date(), rng.randrange(1, matter.correction_days + 1)).date
        received = _at(received_day, rng.randrange(9, 16), rng.randrange(60))
        for material in story.materials:
            if material.state == CaseMaterial.State.DEFERRED:
                material.state = CaseMaterial.State.RECEIVED
                material.received_at = received
                material.received_by = rng.choice(staff)
                add("", received, f"收到补正材料：{material.name}", kind="material", who=material.received_by)
        add(S.IN_PROCESS, received + timedelta(seconds=1), "补正材料已收齐，恢复计时", C.RESUME, who=None)
        resume_day = received_day
    else:
        add(S.ACCEPTED, accepted, "材料齐全，予以受理", C.START)
        add(S.IN_PROCESS, accepted + timedelta(minutes=rng.randrange(5, 90)), "")
    # How long the work takes: mostly inside the promise, a few late.
    needed = rng.choice([1, 1, 2, matter.promised_days // 2 or 1, matter.promised_days, matter.promised_days + 2])
    done_day = calendar.add_working_days(resume_day, needed).date
    if done_day < today:
        add(S.COMPLETED, _at(done_day, rng.randrange(9, 17), rng.randrange(60)), "已办结，结果已送达", C.STOP)
        case.completed_at = story.events[-1].created_at
    state = clock_compute(events=story.events, promised_days=matter.promised_days, calendar=calendar, today=today)
    due = calendar.add_working_days(resume_day, max(matter.promised_days - state.elapsed_days, 0)).date
    case.due_date = state.due_date or due


def _assistance(ctx: DemoContext, stories: list[Story], helpers: list[User]) -> None:
    if not helpers:
        return
    rng = ctx.rng
    logs = []
    for story in stories:
        case = story.case
        if not case.is_special_group or case.status in (S.REJECTED, S.WITHDRAWN):
            continue
        helper = rng.choice(helpers)
        when = case.created_at + timedelta(minutes=3)
        satisfaction = None
        if case.status == S.COMPLETED:
            satisfaction = rng.choices([5, 4, 3], weights=[90, 8, 2])[0]
        assistance = Assistance.objects.create(
            case=case, helper=helper, assigned_by=case.first_responder, assigned_at=when, satisfaction=satisfaction,
            rated_at=case.completed_at if satisfaction else None,
        )  # fmt: skip
        for action in rng.sample(list(AssistanceLog.Action.values), k=rng.choice([1, 2, 2, 3])):
            logs.append(
                AssistanceLog(
                    assistance=assistance, action=action, helper=helper, created_at=when + timedelta(minutes=10)
                )
            )
    AssistanceLog.objects.bulk_create(logs)


def _handovers(ctx: DemoContext, stories: list[Story], staff: list[User]) -> None:
    """A few accepted hand-overs, and two offers still waiting for the demo window staff."""
    rng = ctx.rng
    open_cases = [s.case for s in stories if s.case.status in (S.IN_PROCESS, S.AWAITING_CORRECTION)]
    for case in rng.sample(open_cases, k=min(len(open_cases), 8)):
        receiver = rng.choice([u for u in staff if u.id != case.handler_id])
        when = case.created_at + timedelta(hours=1)
        Handover.objects.create(
            case=case, from_user=case.handler, to_user=receiver, reason="涉及专业审批，转专业窗口办理",
            state=Handover.State.ACCEPTED, offered_at=when, responded_at=when + timedelta(minutes=20),
        )  # fmt: skip
        CaseEvent.objects.create(
            case=case, kind="handover", actor=receiver, note=f"{receiver} 接收办件，成为当前承办人", created_at=when
        )
        Case.objects.filter(id=case.id).update(handler=receiver)
    demo_user = next((u for u in staff if u.username.endswith("staff01")), None)
    if demo_user is None:
        return
    candidates = [c for c in open_cases if c.handler_id != demo_user.id and not c.handovers.exists()]
    for case in candidates[:2]:
        handover = Handover.objects.create(
            case=case, from_user=case.handler, to_user=demo_user, reason="申请人需要咨询市场监管政策，请协助"
        )
        # As services.case_handover_offer does: the case page reads hand-overs only when its history has one.
        CaseEvent.objects.create(
            case=case, kind="handover", actor=case.handler, note=f"提出转交给 {demo_user}：{handover.reason}"
        )
