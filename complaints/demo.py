"""Demo feedback (idempotent): channels of every kind for both centres, six months of ratings,
complaints (about a third of the categorised ones on attitude), bad-review flows in every
state, the leaders' duty rota and the escalation window's matters (12 solved in the city
centre since January). Volume rows go in with bulk_create; a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from govservice.categories import ProblemCategory
from govservice.crypto import lookup_hash
from govservice.models import Centre, Department
from govservice.workdays import WorkCalendar
from staff.demo import DemoContext
from staff.models import Role, User, Window

from .deadlines import complaint_set_reply_due, reply_working_days
from .escalations import duty_rota_seed
from .models import (
    BadReview,
    Channel,
    Complaint,
    ComplaintDeadlineRule,
    ComplaintEvent,
    DutySlot,
    Escalation,
    EscalationDepartment,
    EscalationEvent,
    Evaluation,
    EvaluationEvent,
    EvaluationTag,
    FeedbackPolicy,
)

DEMO_MARK = "demo-"
OPEN_STATES = [
    BadReview.Status.OPEN,
    BadReview.Status.CONTACTED,
    BadReview.Status.RECTIFYING,
    BadReview.Status.RECTIFIED,
    BadReview.Status.APPEALED,
]

CHANNEL_NAMES = {
    Channel.Kind.WINDOW_DEVICE: "窗口评价器",
    Channel.Kind.QR_CODE: "窗口二维码",
    Channel.Kind.PORTAL: "网上办事大厅",
    Channel.Kind.HOTLINE: "12345热线",
    Channel.Kind.MOBILE_APP: "政务服务App/小程序",
    Channel.Kind.THIRD_PARTY: "第三方测评机构",
    Channel.Kind.CROSS_CHECK: "内部交叉检查",
    Channel.Kind.SPOT_CHECK: "明查暗访",
    Channel.Kind.LEADER_WINDOW: "办不成事反映窗口",
    Channel.Kind.SMS_LINK: "办结短信评价",
}

TAGS = [
    ("warm", "热情周到", [4, 5], ""),
    ("skilled", "业务熟练", [4, 5], ""),
    ("fast", "办事高效", [4, 5], ""),
    ("average", "有待改进", [3], ""),
    ("attitude", "服务态度差", [1, 2], ProblemCategory.ATTITUDE),
    ("unskilled", "业务不熟", [1, 2], ProblemCategory.ABILITY),
    ("slow", "等候/办理时间长", [1, 2], ProblemCategory.EFFICIENCY),
    ("runaround", "多次跑腿", [1, 2], ProblemCategory.EFFICIENCY),
    ("discipline", "工作纪律问题", [1, 2], ProblemCategory.DISCIPLINE),
]

# Where ratings come from: mostly the window devices and QR codes (一次一评).
CHANNEL_WEIGHTS = [
    (Channel.Kind.WINDOW_DEVICE, 55),
    (Channel.Kind.QR_CODE, 15),
    (Channel.Kind.PORTAL, 12),
    (Channel.Kind.MOBILE_APP, 10),
    (Channel.Kind.SMS_LINK, 6),
    (Channel.Kind.THIRD_PARTY, 2),
]

# Keyed by category value (ProblemCategory members are those str values; a complaint's category is a str).
COMPLAINT_TEXTS: dict[str, list[str]] = {
    ProblemCategory.ATTITUDE: [
        "窗口工作人员态度冷漠，问了两遍都爱答不理。",
        "咨询政策时工作人员很不耐烦，语气生硬。",
        "工作人员推诿，说不归他们管，让我去别的窗口。",
        "办事时工作人员脸色难看，训斥老人动作慢。",
    ],
    ProblemCategory.ABILITY: [
        "工作人员对一业一证政策不熟悉，说不清需要哪些材料。",
        "跨部门的事项窗口人员答不上来，解释错误导致白跑一趟。",
        "新政策窗口人员不会操作系统，办了一个小时。",
    ],
    ProblemCategory.EFFICIENCY: [
        "社保转移排队两个小时，流程太慢。",
        "材料要求前后不一致，来回跑了三次。",
        "企业开办等了很久，办理时间长，效率低。",
    ],
    ProblemCategory.DISCIPLINE: [
        "工作时间窗口人员玩手机，群众等着没人理。",
        "下午三点窗口无人，工作人员离岗。",
        "窗口人员上班聊天，迟到早退。",
    ],
}
SUGGESTIONS = [
    "建议增加周末延时服务。",
    "建议大厅增加老年人帮办引导。",
    "建议公布各事项材料清单二维码。",
    "建议停车场增加车位指引。",
]
CATEGORY_WEIGHTS = [
    (ProblemCategory.ATTITUDE, 32),
    (ProblemCategory.ABILITY, 27),
    (ProblemCategory.EFFICIENCY, 28),
    (ProblemCategory.DISCIPLINE, 13),
]

ESCALATIONS = [
    ("policy", "个体工商户转企业，税务与市场监管对历史欠税认定不一致，无法办理变更。"),
    ("coordination", "公积金异地转移，转出地与转入地系统不对接，反复退件。"),
    ("history", "1998 年房改房无原始购房合同，不动产登记无法受理。"),
    ("policy", "灵活就业人员医保断缴补缴政策不明确，窗口无法答复。"),
    ("coordination", "企业迁址涉及市场监管、税务、社保三部门，信息变更互为前置。"),
    ("history", "老旧小区加装电梯补贴申请，历史规划资料缺失。"),
    ("other", "残疾人证换领需本人到场，行动不便无法前来。"),
]


def _category_cycle(ctx: DemoContext) -> Iterator[ProblemCategory]:
    """Categories in shuffled blocks of 25 (8 attitude = 32 %, 7 ability, 7 efficiency, 3 discipline),
    so the attitude share of any demo month stays close to the brief's 32 %."""
    block = [category for category, weight in CATEGORY_WEIGHTS for _ in range(weight * 25 // 100 or 1)]
    while len(block) < 25:
        block.append(ProblemCategory.ABILITY)
    while True:
        ctx.rng.shuffle(block)
        yield from block


def _weighted[T](ctx: DemoContext, pairs: Sequence[tuple[T, float]]) -> T:
    values, weights = zip(*pairs, strict=True)
    return ctx.rng.choices(values, weights=weights)[0]


def _at(day: date, ctx: DemoContext) -> datetime:
    moment = time(hour=ctx.rng.randint(9, 16), minute=ctx.rng.randint(0, 59))
    return timezone.make_aware(datetime.combine(day, moment))


@transaction.atomic
def load(ctx: DemoContext) -> None:
    centres = list(Centre.objects.filter(code__in=["city", "gxq"]).order_by("code"))
    for centre in centres:
        FeedbackPolicy.objects.get_or_create(centre=centre)
        for kind, name in CHANNEL_NAMES.items():
            channel, _created = Channel.objects.get_or_create(
                code=f"{centre.code}-{kind}".replace("_", "-"), defaults={"name": f"{centre.name}{name}", "kind": kind}
            )
            channel.centres.add(centre)
        if not DutySlot.objects.filter(centre=centre).exists():
            duty_rota_seed(centre=centre)
    for order, (code, label, levels, category) in enumerate(TAGS):
        EvaluationTag.objects.get_or_create(
            code=code, defaults={"label": label, "levels": levels, "category": category, "order": order}
        )
    if Evaluation.objects.filter(external_id__startswith=DEMO_MARK).exists():
        return
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    for centre in ctx.progress(centres, "feedback"):
        _evaluations(ctx, centre, today, calendar)
        _complaints(ctx, centre, today)
        _escalations(ctx, centre, today, calendar)


def _evaluations(ctx: DemoContext, centre: Centre, today: date, calendar: WorkCalendar) -> None:
    channels = {c.kind: c for c in Channel.objects.filter(centres=centre)}
    staff = list(User.objects.filter(centre=centre, roles__role=Role.WINDOW_STAFF, window__isnull=False))
    owner = User.objects.filter(centre=centre, roles__role=Role.CENTRE_ADMIN).first()
    leader = User.objects.filter(centre=centre, roles__role=Role.LEADER).order_by("username").first()
    per_day = 30 if centre.code == "city" else 14
    start = today - timedelta(days=182)
    rows: list[Evaluation] = []
    day = start
    index = 0
    while day <= today:
        if calendar.is_working_day(day):
            # The "very satisfied" rate climbs from about 89 % to about 95 % over the half year.
            progress = (day - start).days / 182
            very = 0.89 + 0.06 * progress
            rest = 1 - very
            weights = [(5, very), (4, rest * 0.55), (3, rest * 0.2), (2, rest * 0.15), (1, rest * 0.10)]
            for _ in range(per_day + ctx.rng.randint(-5, 5)):
                index += 1
                person = ctx.rng.choice(staff)
                level = _weighted(ctx, weights)
                kind = _weighted(ctx, CHANNEL_WEIGHTS)
                tags = []
                if level <= 2:
                    tags = [ctx.rng.choice(["attitude", "attitude", "unskilled", "slow", "runaround", "discipline"])]
                elif level >= 4 and ctx.rng.random() < 0.3:
                    tags = [ctx.rng.choice(["warm", "skilled", "fast"])]
                real_name = level <= 2 and ctx.rng.random() < 0.6
                phone = ctx.phone() if real_name else ""
                rows.append(
                    Evaluation(
                        centre=centre,
                        channel=channels[kind],
                        window=person.window,
                        staff=person,
                        level=level,
                        text="" if level >= 3 else ctx.rng.choice(COMPLAINT_TEXTS[ProblemCategory.ATTITUDE]),
                        tags=tags,
                        is_real_name=real_name,
                        evaluator_name=ctx.person_name() if real_name else "",
                        evaluator_phone=phone,
                        evaluator_phone_hash=lookup_hash(phone) if phone else "",
                        external_id=f"{DEMO_MARK}{centre.code}-{index:06d}",
                        rated_at=_at(day, ctx),
                    )
                )
        day += timedelta(days=1)
    Evaluation.objects.bulk_create(rows, batch_size=1000)
    bad = list(
        Evaluation.objects.filter(centre=centre, level__lte=2, external_id__startswith=DEMO_MARK).order_by("rated_at")
    )
    reviews, events = [], []
    now = timezone.now()
    recent = 0
    for evaluation in bad:
        rated_on = timezone.localtime(evaluation.rated_at).date()
        age = (today - rated_on).days
        contact_due = calendar.add_working_days(rated_on, 1).date
        rectify_due = calendar.add_working_days(rated_on, 5).date
        review = BadReview(
            evaluation=evaluation,
            centre=centre,
            owner=owner,
            contact_due=contact_due,
            rectify_due=rectify_due,
        )
        roll = ctx.rng.random()
        if age > 30:
            if roll < 0.08:
                review.status, review.verdict = BadReview.Status.EXCLUDED, BadReview.Verdict.MALICIOUS
                review.appeal_reason = "监控显示评价人未在该窗口办理业务"
                review.appeal_decision = "经复核，申诉成立"
                review.decided_by = leader
                evaluation.excluded, evaluation.excluded_reason = True, "恶意差评"
            else:
                review.status = BadReview.Status.CLOSED
                review.verdict = ctx.rng.choice(
                    [BadReview.Verdict.TRUE, BadReview.Verdict.PARTLY, BadReview.Verdict.UNTRUE]
                )
                review.rectification = "对当事人进行约谈并组织服务规范培训"
                review.callback_satisfied = ctx.rng.random() < 0.9
                review.callback_note = "电话回访"
            review.closed_at = now - timedelta(days=age - 7)
            review.contacted_at = review.rectified_at = now - timedelta(days=age - 1)
        else:
            # Recent ones are spread over every open step, so each state shows on the screens.
            review.status = OPEN_STATES[recent % len(OPEN_STATES)]
            recent += 1
            if review.status != BadReview.Status.OPEN:
                review.contacted_at = now - timedelta(days=max(age - 1, 0))
            if review.status in (BadReview.Status.RECTIFYING, BadReview.Status.RECTIFIED):
                review.verdict = BadReview.Verdict.TRUE
            if review.status == BadReview.Status.RECTIFIED:
                review.rectification = "已调整窗口引导流程"
                review.rectified_at = now - timedelta(days=max(age - 3, 0))
            if review.status == BadReview.Status.APPEALED:
                review.verdict = BadReview.Verdict.MISTAKEN
                review.appeal_reason = "评价人反映误点了“非常不满意”"
        reviews.append(review)
        events.append(EvaluationEvent(evaluation=evaluation, action="bad_review_opened", new_status="open"))
    Evaluation.objects.bulk_update([e for e in bad if e.excluded], ["excluded", "excluded_reason"])
    BadReview.objects.bulk_create(reviews, batch_size=500)
    EvaluationEvent.objects.bulk_create(events, batch_size=1000)


def _complaints(ctx: DemoContext, centre: Centre, today: date) -> None:
    from cases.models import MatterType

    channels = {c.kind: c for c in Channel.objects.filter(centres=centre)}
    windows = list(Window.objects.filter(centre=centre))
    departments = list(Department.objects.filter(centre=centre))
    owners = list(User.objects.filter(centre=centre, roles__role=Role.LIAISON))
    matters = list(MatterType.objects.filter(centre=centre)[:20])
    count = 90 if centre.code == "city" else 40
    intake_kinds = [
        (Channel.Kind.HOTLINE, 45),
        (Channel.Kind.PORTAL, 20),
        (Channel.Kind.MOBILE_APP, 15),
        (Channel.Kind.QR_CODE, 10),
        (Channel.Kind.CROSS_CHECK, 5),
        (Channel.Kind.SPOT_CHECK, 5),
    ]
    rows: list[Complaint] = []
    categories = _category_cycle(ctx)
    for index in range(count):
        received = today - timedelta(days=ctx.rng.randint(0, 180))
        is_suggestion = ctx.rng.random() < 0.12
        category = "" if is_suggestion else next(categories)
        text = ctx.rng.choice(SUGGESTIONS) if is_suggestion else ctx.rng.choice(COMPLAINT_TEXTS[category])
        age = (today - received).days
        if age > 30:
            status = Complaint.Status.CLOSED
        else:
            status = ctx.rng.choice(
                [
                    Complaint.Status.RECEIVED,
                    Complaint.Status.ASSIGNED,
                    Complaint.Status.REPLIED,
                    Complaint.Status.REOPENED,
                ]
            )
        if status == Complaint.Status.RECEIVED and category and ctx.rng.random() < 0.6:
            category = ""  # waiting to be classified
        phone = ctx.phone()
        department = ctx.rng.choice(departments) if status != Complaint.Status.RECEIVED else None
        rows.append(
            Complaint(
                tracking_no=f"{centre.tracking_prefix}TD{received:%y%m%d}{index:04d}",
                centre=centre,
                channel=channels[_weighted(ctx, intake_kinds)],
                kind=Complaint.Kind.SUGGESTION if is_suggestion else Complaint.Kind.COMPLAINT,
                content=text,
                contact_name=ctx.person_name(),
                contact_phone=phone,
                contact_phone_hash=lookup_hash(phone),
                category=category,
                window=ctx.rng.choice(windows),
                matter_type=ctx.rng.choice(matters) if matters else None,
                department=department,
                owner=ctx.rng.choice(owners) if department and owners else None,
                status=status,
                reply="已核实情况并向您致歉，已对相关人员批评教育。"
                if status in ("replied", "closed", "reopened")
                else "",
                replied_at=_at(received + timedelta(days=2), ctx)
                if status in ("replied", "closed", "reopened")
                else None,
                callback_satisfied=True if status == "closed" else (False if status == "reopened" else None),
                # the reply says it was verified: a founded verdict; the others are still under examination
                verdict=Complaint.Verdict.FOUNDED
                if not is_suggestion and status in ("replied", "closed", "reopened")
                else "",
                external_id=f"{DEMO_MARK}{index:04d}",
                received_at=_at(received, ctx),
            )
        )
    # The same matter through two more channels (same phone, same matter type, same week): duplicates.
    for offset, source in enumerate(rows[:3]):
        for n, kind in enumerate([Channel.Kind.PORTAL, Channel.Kind.MOBILE_APP]):
            rows.append(
                Complaint(
                    tracking_no=f"{source.tracking_no}{n + 1}",
                    centre=centre,
                    channel=channels[kind],
                    kind=source.kind,
                    content=source.content,
                    contact_name=source.contact_name,
                    contact_phone=source.contact_phone,
                    contact_phone_hash=source.contact_phone_hash,
                    matter_type=source.matter_type,
                    window=source.window,
                    status=Complaint.Status.RECEIVED,
                    external_id=f"{DEMO_MARK}dup-{offset}-{n}",
                    received_at=source.received_at + timedelta(hours=3 + n),
                )
            )
    calendar = WorkCalendar.load()
    rules = list(ComplaintDeadlineRule.objects.filter(centre=centre))
    for row in rows:  # stored as complaint_submit stores it
        row.reply_working_days = reply_working_days(
            centre_id=centre.id, channel=row.channel, kind=row.kind, rules=rules
        )
        complaint_set_reply_due(row, calendar)
    Complaint.objects.bulk_create(rows, batch_size=500)
    # One duplicate group is already merged into its first report, keeping every source.
    primary = Complaint.objects.get(centre=centre, external_id=f"{DEMO_MARK}0000")
    merged = Complaint.objects.filter(centre=centre, external_id__startswith=f"{DEMO_MARK}dup-0-")
    events = [
        ComplaintEvent(complaint=c, new_status=Complaint.Status.MERGED, old_status="received", note=primary.tracking_no)
        for c in merged
    ]
    merged.update(status=Complaint.Status.MERGED, merged_into=primary)
    saved = Complaint.objects.filter(centre=centre, external_id__startswith=DEMO_MARK)
    events += [
        ComplaintEvent(complaint=c, new_status="received", note=f"经{c.channel.name}受理")
        for c in saved.select_related("channel")
    ]
    ComplaintEvent.objects.bulk_create(events, batch_size=1000)


def _escalations(ctx: DemoContext, centre: Centre, today: date, calendar: WorkCalendar) -> None:
    leaders = list(User.objects.filter(centre=centre, roles__role=Role.LEADER).order_by("username"))
    departments = list(Department.objects.filter(centre=centre))
    if not leaders:
        return
    solved_target = 12 if centre.code == "city" else 4
    total = solved_target + 2
    jan_first = date(today.year, 1, 1)
    span = max((today - jan_first).days - 14, 1)
    rows = []
    for index in range(total):
        received_on = calendar.next_working_day(jan_first + timedelta(days=int(span * index / total) + 5))
        if index >= solved_target:
            received_on = calendar.next_working_day(today - timedelta(days=index - solved_target))
        reason, content = ESCALATIONS[index % len(ESCALATIONS)]
        kind = Escalation.Kind.COMPLEX if reason in ("coordination", "history") else Escalation.Kind.GENERAL
        days = 5 if kind == Escalation.Kind.COMPLEX else 2
        due = calendar.add_working_days(received_on, days)
        solved = index < solved_target
        phone = ctx.phone()
        rows.append(
            Escalation(
                tracking_no=f"{centre.tracking_prefix}BD{received_on:%y%m%d}{index:02d}",
                centre=centre,
                kind=kind,
                reason=reason,
                citizen_name=ctx.person_name(),
                citizen_phone=phone,
                citizen_phone_hash=lookup_hash(phone),
                content=content,
                received_by=leaders[index % len(leaders)],
                received_at=_at(received_on, ctx),
                due_date=due.date,
                due_is_provisional=due.provisional,
                status=Escalation.Status.CLOSED if solved else Escalation.Status.IN_PROGRESS,
                report="一、基本情况\n二、症结分析\n三、联合处理意见" if kind == Escalation.Kind.COMPLEX else "",
                outcome="经协调相关部门已办结" if solved else "",
                solved_at=_at(calendar.add_working_days(received_on, days - 1).date, ctx) if solved else None,
                satisfaction=ctx.rng.choice([5, 5, 5, 4]) if solved else None,
            )
        )
    Escalation.objects.bulk_create(rows)
    saved = list(Escalation.objects.filter(centre=centre, tracking_no__in=[r.tracking_no for r in rows]))
    parts, events = [], []
    for escalation in saved:
        events.append(EscalationEvent(escalation=escalation, new_status="received", actor=escalation.received_by))
        if escalation.status == Escalation.Status.CLOSED:
            events.append(
                EscalationEvent(
                    escalation=escalation, old_status="received", new_status="closed", actor=escalation.received_by
                )
            )
        if escalation.kind == Escalation.Kind.COMPLEX and departments:
            for department in ctx.rng.sample(departments, k=min(2, len(departments))):
                parts.append(
                    EscalationDepartment(
                        escalation=escalation,
                        department=department,
                        part="核查本部门历史办理记录并提出处理意见",
                        answer="已核查，同意按联合处理意见办理" if escalation.solved_at else "",
                        answered_at=escalation.solved_at,
                    )
                )
    EscalationDepartment.objects.bulk_create(parts)
    EscalationEvent.objects.bulk_create(events)
