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

from govservice.models import Centre, Department
from staff.demo import DemoContext
from staff.models import Role, User

from .models import EvidenceFile, Measure, Problem, ProblemEvent, ProgressUpdate

S = Problem.Status

# (code, category, source, department code, title, 问题表现, [(measure, weight)], state, deadline offset in days)
PLAN: list[tuple[str, str, str, str, str, str, list[tuple[str, int]], str, int]] = [
    (
        "TD-01",
        "attitude",
        "self_inspection",
        "",
        "不主动引导办事群众",
        "群众进入大厅后无人主动询问办什么事，需要自己找窗口、看指示牌，老年人尤其为难。",
        [("设立大厅引导岗，窗口人员每周轮值，主动问询、分流", 2), ("推行首问负责制：第一位被问到的人员负责到底", 3)],
        S.CLOSED,
        -40,
    ),
    (
        "TD-02",
        "attitude",
        "complaint",
        "rsj",
        "解释政策不耐心",
        "群众反复询问同一政策时，个别人员语气生硬、不愿多解释，引发投诉（2024 年下半年投诉中 32% 与服务态度有关）。",
        [("开展服务礼仪与沟通技巧培训，每季度一次", 1), ("服务之星评分纳入群众评价维度，末位约谈", 2)],
        S.IN_RECTIFICATION,
        20,
    ),
    (
        "TD-03",
        "attitude",
        "complaint",
        "",
        "推诿扯皮、让群众来回跑",
        "以“不归我们管”为由让群众到其他窗口或部门，群众在窗口之间来回奔波。",
        [("首问负责制：确需转交的登记接收人，首问人员跟踪到办结", 3), ("开设“办不成事”反映窗口，领导轮值坐班", 2)],
        S.CLOSE_OUT_APPLIED,
        -2,
    ),
    (
        "TD-04",
        "attitude",
        "role_swap",
        "scjg",
        "一次性告知不到位",
        "换位体验中发现：办理企业开办时未一次讲清全部材料，体验人员往返三次。",
        [("编制高频事项一次性告知清单并在窗口公示", 2), ("告知内容纳入政务服务智能问答库", 1)],
        S.CLOSED,
        -70,
    ),
    (
        "TD-05",
        "attitude",
        "spot_check",
        "",
        "对老年人、残疾人关照不够",
        "特殊群体办事缺少帮助，填表、操作自助设备困难时无人协助。",
        [("设立帮办代办服务区，配备专职帮办员", 3), ("帮办事项登记台账，办后回访满意度", 1)],
        S.IN_RECTIFICATION,
        3,
    ),
    (
        "TD-06",
        "attitude",
        "bad_review",
        "",
        "差评回访不及时",
        "部分差评超过一周才联系群众，核实整改与回访记录不完整。",
        [("差评 1 个工作日内联系、按期整改并回访，系统超期预警", 2)],
        S.IN_RECTIFICATION,
        -5,
    ),
    (
        "NL-01",
        "ability",
        "self_inspection",
        "scjg",
        "“一业一证”改革政策掌握不全",
        "抽查显示 28% 的窗口人员未完全掌握“一业一证”改革要求，答复群众时依据不准确。",
        [("开展“一业一证”专题培训并闭卷测试", 2), ("业务导师每季度组织模拟考核", 1)],
        S.IN_RECTIFICATION,
        -10,
    ),
    (
        "NL-02",
        "ability",
        "self_inspection",
        "",
        "跨部门事项协调能力弱",
        "涉及多个部门的事项，窗口人员不清楚衔接流程，只能让群众自行去各部门。",
        [("建立业务科室联络员机制，每周答疑", 1), ("梳理跨部门联办事项流程图", 2)],
        S.IN_RECTIFICATION,
        25,
    ),
    (
        "NL-03",
        "ability",
        "leader_window",
        "bdc",
        "复杂事项办理慢",
        "历史遗留、政策不明确的复杂事项久拖不决，群众多次反映。",
        [("“办不成事”窗口受理，一般问题 2 个工作日、复杂问题 5 个工作日内答复", 3)],
        S.CLOSED,
        -20,
    ),
    (
        "NL-04",
        "ability",
        "self_inspection",
        "",
        "新入职人员独立上岗慢",
        "新人员平均两个月才能独立办理业务，期间差错较多。",
        [("推行业务导师制，1 名导师带 2 名新人，每周现场指导", 2), ("每月开展一次案例复盘", 1)],
        S.CLOSE_OUT_APPLIED,
        -1,
    ),
    (
        "NL-05",
        "ability",
        "third_party",
        "",
        "政策答复口径不一、准确率不高",
        "第三方测评发现同一问题不同窗口答复不一致，答复准确率约 85%。",
        [("汇总近三年高频咨询，建成政务服务智能问答库", 3), ("会同司法局和业务部门审核答复口径，每周更新", 1)],
        S.IN_RECTIFICATION,
        8,
    ),
    (
        "NL-06",
        "ability",
        "role_swap",
        "rsj",
        "业务系统操作不熟练",
        "换位体验中发现：办理社保转移时，窗口人员对系统操作不熟，办理时间明显偏长。",
        [("按岗位类型和工龄分层分类培训，新人每月 2 次", 2)],
        S.OPEN,
        30,
    ),
    (
        "XL-01",
        "efficiency",
        "self_inspection",
        "",
        "次要材料缺失即退件",
        "只缺非核心材料时一律不予受理，群众需另找时间再跑一次。",
        [("推行容缺受理，签署书面承诺并出具补正材料清单", 3), ("补正时限前短信和电话提醒", 1)],
        S.CLOSED,
        -30,
    ),
    (
        "XL-02",
        "efficiency",
        "role_swap",
        "scjg",
        "企业开办环节多、等候长",
        "换位体验中发现：企业开办需在多个窗口之间排队，全程耗时半天以上。",
        [("企业开办一窗受理、并联审批", 3), ("高峰时段增开窗口", 1)],
        S.IN_RECTIFICATION,
        -15,
    ),
    (
        "XL-03",
        "efficiency",
        "role_swap",
        "rsj",
        "社保转移需多次跑",
        "换位体验中发现：社保关系转移需先后到两个窗口并等待内部流转。",
        [("社保转移纳入综合窗口一次办结", 2)],
        S.IN_RECTIFICATION,
        2,
    ),
    (
        "XL-04",
        "efficiency",
        "self_inspection",
        "",
        "补正材料无提醒，逾期终止",
        "容缺受理后群众忘记补正时限，导致办件终止。",
        [("系统自动短信提醒：时限前 3 个工作日和 1 个工作日", 1)],
        S.CLOSE_OUT_APPLIED,
        5,
    ),
    (
        "XL-05",
        "efficiency",
        "complaint",
        "",
        "咨询等候时间长",
        "咨询台高峰期排队较长，一个问题要问多个人才能得到答复。",
        [("窗口电脑和手机端可检索问答库，咨询时间目标缩短 40%", 2)],
        S.IN_RECTIFICATION,
        40,
    ),
    (
        "XL-06",
        "efficiency",
        "complaint",
        "gjj",
        "办件进度查询难",
        "群众不清楚办件到了哪一步，只能打电话或到现场询问。",
        [("办件状态短信通知，帮办员协助查询进度", 1)],
        S.OPEN,
        45,
    ),
    (
        "JL-01",
        "discipline",
        "spot_check",
        "",
        "工作时间脱岗、离岗无人替补",
        "明查暗访发现个别窗口工作时间无人，未放置暂离牌，也无人替补。",
        [("执行离岗报备和 AB 岗替补制度", 2), ("每周明查暗访并通报", 1)],
        S.CLOSED,
        -50,
    ),
    (
        "JL-02",
        "discipline",
        "spot_check",
        "",
        "工作时间玩手机、闲聊",
        "监控抽查发现工作时间使用手机处理私事、相互闲聊。",
        [("监控抽查纳入服务之星月度评分", 1)],
        S.IN_RECTIFICATION,
        -3,
    ),
    (
        "JL-03",
        "discipline",
        "cross_check",
        "",
        "着装和工牌不规范",
        "内部交叉检查发现部分人员未按规定着装、未佩戴工牌。",
        [("每日班前检查仪容仪表", 1)],
        S.CLOSED,
        -60,
    ),
    (
        "JL-04",
        "discipline",
        "cross_check",
        "",
        "考勤不严、迟到早退",
        "个别人员迟到早退，考勤记录与实际不符。",
        [("人脸识别考勤，月度通报", 1)],
        S.IN_RECTIFICATION,
        12,
    ),
    (
        "JL-05",
        "discipline",
        "third_party",
        "",
        "引导群众给好评",
        "第三方测评发现有人员引导或代替群众在评价器上点选“非常满意”。",
        [("评价器由群众本人操作，发现代评一律不计入并约谈", 2), ("评价数据异常自动预警", 1)],
        S.IN_RECTIFICATION,
        15,
    ),
]

DISTRICT_PLAN = [
    (
        "TD-01",
        "attitude",
        "complaint",
        "",
        "窗口人员服务用语不规范",
        "个别人员使用生硬语言，群众反映不被尊重。",
        [("规范服务用语，开展情景演练", 1)],
        S.IN_RECTIFICATION,
        -8,
    ),
    (
        "NL-01",
        "ability",
        "self_inspection",
        "scjg",
        "新政策更新不及时",
        "政策调整后窗口未及时掌握，答复滞后。",
        [("每季度政策更新专题培训", 1)],
        S.CLOSED,
        -25,
    ),
    (
        "XL-01",
        "efficiency",
        "role_swap",
        "",
        "材料重复提交",
        "换位体验中发现同一材料需在两个环节重复提交。",
        [("共享材料库，一次提交多次使用", 2)],
        S.CLOSE_OUT_APPLIED,
        -4,
    ),
    (
        "JL-01",
        "discipline",
        "spot_check",
        "",
        "午间时段窗口无人",
        "午间轮岗安排不落实。",
        [("午间弹性轮岗表上墙公示", 1)],
        S.OPEN,
        10,
    ),
]

EVIDENCE_PDF = b"%PDF-1.4\n% demo evidence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


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
            verifier = main_leader if main_leader.id != person.id else other_leaders[0]
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
