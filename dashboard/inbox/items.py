"""What waits on one leader (待我决定): every kind of item, each with its deadline and what happens when it passes.

Read only through the owning apps' selectors. Who decides what:

- a centre leader decides the items of their own centre;
- a city leader decides the items of centres that have no active centre leader who could decide them
  (no centre leader at all; for a close-out, none besides the responsible person and the applicant),
  and the escalations they received themselves at the window.

The deadlines of a score appeal and of a close-out verification are the inbox's reminder horizons
(`APPEAL_DECIDE_WORKING_DAYS`, `CLOSE_OUT_VERIFY_WORKING_DAYS`): the owning apps keep no due date for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors as complaints_selectors
from complaints.models import Complaint, WorkOrder
from development import selectors as development_selectors
from development.models import ScoreAppeal
from govservice import access
from govservice.models import Centre
from govservice.replica import use_primary
from govservice.workdays import WorkCalendar
from rectification import selectors as rectification_selectors
from rectification.models import Problem
from staff.home_notes import HomeNote
from staff.models import User
from staff.selectors import centre_leader_ids, centre_list_for, centres_with_a_centre_leader

APPEAL_DECIDE_WORKING_DAYS = 5
CLOSE_OUT_VERIFY_WORKING_DAYS = 5
ROTA_HORIZON_DAYS = 14
MAX_PER_KIND = 100
# A centre with more overdue complaints than this shows them as one item that opens the list of exactly those
# complaints (the `complaints_overdue` figure's list): one by one they buried the decisions below them.
OVERDUE_COMPLAINTS_SHOWN_SINGLY = 3


class Kind:
    APPEAL = "appeal"
    CLOSE_OUT = "close_out"
    ESCALATION = "escalation"
    COMPLAINT_OVERDUE = "complaint_overdue"
    COMPLAINTS_OVERDUE = "complaints_overdue"  # a centre's overdue complaints, together
    UNCLASSIFIED = "unclassified"
    ROTA_GAP = "rota_gap"
    EXTENSION = "work_order_extension"


# The kinds decided on the inbox page itself (the others open the owning page).
DECIDED_IN_PLACE = frozenset({Kind.APPEAL, Kind.CLOSE_OUT, Kind.EXTENSION})


@dataclass(frozen=True)
class InboxItem:
    kind: str
    obj_id: int
    title: str
    detail: str
    deadline: datetime
    consequence: str
    url: str
    centre: str = ""
    # The decisions offered in place, (value, label), and whether the decision asks for a corrected value.
    choices: tuple[tuple[str, str], ...] = ()
    asks_value: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.obj_id}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS()[self.kind]

    def overdue(self, now: datetime | None = None) -> bool:
        return self.deadline < (now or timezone.now())

    @property
    def is_overdue(self) -> bool:
        return self.overdue()

    @property
    def decided_here(self) -> bool:
        return self.kind in DECIDED_IN_PLACE


def KIND_LABELS() -> dict[str, str]:  # noqa: N802 - a table, translated when read
    return {
        Kind.APPEAL: _("评分申诉"),
        Kind.CLOSE_OUT: _("销号申请"),
        Kind.ESCALATION: _("办不成事"),
        Kind.COMPLAINT_OVERDUE: _("投诉逾期未答复"),
        Kind.COMPLAINTS_OVERDUE: _("投诉逾期未答复"),
        Kind.UNCLASSIFIED: _("投诉未归类"),
        Kind.ROTA_GAP: _("值班空缺"),
        Kind.EXTENSION: _("12345工单延期申请"),
    }


def _end_of_day(day: date) -> datetime:
    return complaints_selectors.end_of_working_day(day)


def _due_after(calendar: WorkCalendar, moment: datetime, working_days: int) -> datetime:
    start = timezone.localtime(moment).date()
    return _end_of_day(calendar.add_working_days(start, working_days).date)


@dataclass
class _Scope:
    user: User
    centres: dict[int, Centre]
    decided: set[int]  # centres whose items this user decides
    leaders: dict[int, set[int]]  # active centre leaders of each centre in scope
    city_wide: bool

    @property
    def several_centres(self) -> bool:
        return len(self.decided) > 1 or self.city_wide

    def centre_name(self, centre_id: int) -> str:
        centre = self.centres.get(centre_id)
        return centre.name if centre is not None and self.several_centres else ""


def _scope(user: User) -> _Scope | None:
    if not access.is_leader(user):
        return None
    centres = {centre.id: centre for centre in centre_list_for(user=user)}
    leaders = centre_leader_ids(centre_ids=set(centres))
    city_leader = access.is_city_wide(user)
    decided = {
        centre_id
        for centre_id in centres
        if (access.is_centre_leader(user) and centre_id == user.centre_id) or (city_leader and not leaders[centre_id])
    }
    return _Scope(user=user, centres=centres, decided=decided, leaders=leaders, city_wide=city_leader)


# --- score appeals (development) -----------------------------------------------------------------


def appeal_item(appeal: ScoreAppeal, calendar: WorkCalendar, scope: _Scope | None = None) -> InboxItem:
    indicator = f" · {appeal.indicator_code}" if appeal.indicator_code else ""
    return InboxItem(
        kind=Kind.APPEAL,
        obj_id=appeal.id,
        title=_("%(name)s 对 %(month)s 评分的申诉%(indicator)s")
        % {
            "name": appeal.staff.name or appeal.staff.username,
            "month": f"{appeal.month:%Y-%m}",
            "indicator": indicator,
        },
        detail=appeal.reason,
        deadline=_due_after(calendar, appeal.created_at, APPEAL_DECIDE_WORKING_DAYS),
        consequence=_("逾期未处理：申诉人的得分仍按原结果计入评比与奖惩。"),
        # Only an appeal naming an indicator can be upheld here: upholding corrects that indicator's value.
        choices=((("uphold", _("申诉成立")),) if appeal.indicator_code else ()) + (("reject", _("驳回")),),
        asks_value=bool(appeal.indicator_code),
        url=f"{reverse('staff:score-month', args=[f'{appeal.month:%Y-%m}'])}?centre={appeal.centre.code}",
        centre=scope.centre_name(appeal.centre_id) if scope else "",
    )


def appeals_waiting_on(user: User) -> QuerySet[ScoreAppeal]:
    """The score appeals this leader is to decide: the registry's `appeals_pending` and the inbox's appeals.

    A centre leader decides their own centre's; a city leader those of centres without an active centre
    leader (as `_scope`). Lazy: no query until counted, so the dashboard counts it with its other figures."""
    appeals = development_selectors.appeal_list_for(user=user).filter(status=ScoreAppeal.Status.PENDING)
    if not access.is_leader(user):
        return appeals.none()
    decides = Q(centre_id=user.centre_id) if access.is_centre_leader(user) and user.centre_id else Q(pk__in=[])
    if access.is_city_wide(user):
        decides |= ~Q(centre_id__in=centres_with_a_centre_leader())
    return appeals.filter(decides)


def _appeals(scope: _Scope, calendar: WorkCalendar) -> list[InboxItem]:
    return [appeal_item(a, calendar, scope) for a in appeals_waiting_on(scope.user)[:MAX_PER_KIND]]


# --- close-out requests (rectification) ----------------------------------------------------------


def close_out_item(problem: Problem, calendar: WorkCalendar, scope: _Scope | None = None) -> InboxItem:
    applied = problem.close_out_applied_at or problem.updated_at
    applicant = problem.close_out_applied_by
    return InboxItem(
        kind=Kind.CLOSE_OUT,
        obj_id=problem.id,
        title=_("%(code)s %(title)s 申请销号") % {"code": problem.code, "title": problem.title},
        detail=_("申请人：%(who)s；责任人：%(person)s")
        % {"who": applicant.name if applicant else "—", "person": problem.responsible_person.name},
        deadline=_due_after(calendar, applied, CLOSE_OUT_VERIFY_WORKING_DAYS),
        consequence=_("逾期未验收：问题仍计为未销号，整改成效无法确认。"),
        choices=(("approve", _("验收通过，销号")), ("send_back", _("退回整改"))),
        url=problem.get_absolute_url(),
        centre=scope.centre_name(problem.centre_id) if scope else "",
    )


def _decides_close_out(scope: _Scope, problem: Problem) -> bool:
    if not access.can_close_out(scope.user, problem):
        return False
    if problem.centre_id in scope.decided and access.is_centre_leader(scope.user):
        return True
    # A city leader steps in where no leader of the centre may verify it.
    others = scope.leaders.get(problem.centre_id, set()) - {
        problem.responsible_person_id,
        problem.close_out_applied_by_id,
    }
    return scope.city_wide and not others


def _close_outs(scope: _Scope, calendar: WorkCalendar) -> list[InboxItem]:
    problems = (
        rectification_selectors.problem_list_for(user=scope.user)
        .filter(status=Problem.Status.CLOSE_OUT_APPLIED)
        .select_related("close_out_applied_by")
    )
    return [close_out_item(p, calendar, scope) for p in problems[:MAX_PER_KIND] if _decides_close_out(scope, p)]


# --- 12345 work orders' extension requests (complaints) ---------------------------------------------


def extension_item(order: WorkOrder, scope: _Scope | None = None) -> InboxItem:
    complaint = order.complaint
    who = order.extension_requested_by
    return InboxItem(
        kind=Kind.EXTENSION,
        obj_id=order.id,
        title=_("12345工单 %(no)s 申请延期 %(days)s 个工作日")
        % {"no": order.order_no, "days": order.extension_days or 0},
        detail=_("申请人：%(who)s；理由：%(reason)s")
        % {"who": who.name if who else "—", "reason": order.extension_reason},
        # Decided before the handling time runs out, or the order is overdue on its old deadline.
        deadline=order.handle_due_at,
        consequence=_("逾期未审批：办理期限不顺延，工单按原期限计为超时。"),
        choices=(("approve", _("同意延期")), ("refuse", _("不同意延期"))),
        url=complaint.get_absolute_url(),
        centre=scope.centre_name(complaint.centre_id) if scope else "",
    )


def _extensions(scope: _Scope) -> list[InboxItem]:
    waiting = complaints_selectors.work_order_extensions_waiting_for(user=scope.user).filter(
        complaint__centre_id__in=scope.decided
    )
    return [extension_item(order, scope) for order in waiting[:MAX_PER_KIND]]


# --- the "could not get it done" window, complaints and the duty rota (complaints) ----------------


def _escalations(scope: _Scope) -> list[InboxItem]:
    waiting = complaints_selectors.escalation_list_for(user=scope.user).filter(
        status__in=complaints_selectors.ESCALATION_WAITING
    )
    mine = waiting.filter(centre_id__in=scope.decided) | waiting.filter(received_by=scope.user)
    items = []
    for escalation in mine.distinct().order_by("due_date")[:MAX_PER_KIND]:
        limit = 5 if escalation.kind == "complex" else 2
        items.append(
            InboxItem(
                kind=Kind.ESCALATION,
                obj_id=escalation.id,
                title=_("%(no)s %(kind)s（%(status)s）")
                % {
                    "no": escalation.tracking_no,
                    "kind": escalation.get_kind_display(),
                    "status": escalation.get_status_display(),
                },
                detail=_("接待领导：%(who)s") % {"who": escalation.received_by.name},
                deadline=_end_of_day(escalation.due_date),
                consequence=_("逾期：超过 %(n)d 个工作日的承诺时限，计为未按时解决。") % {"n": limit},
                url=reverse("complaints:escalation-detail", args=[escalation.public_id]),
                centre=scope.centre_name(escalation.centre_id),
            )
        )
    return items


def _overdue_complaints(scope: _Scope, now: datetime) -> list[InboxItem]:
    """Complaints past their stored reply deadline (the `complaints_overdue` figure's own rule): one item each
    while a centre has a few, one item for all of them beyond that."""
    overdue = (
        complaints_selectors.complaint_list_for(user=scope.user)
        .filter(complaints_selectors.complaint_overdue_q(now), centre_id__in=scope.decided)
        .select_related("owner")
        .order_by("reply_due_at", "id")
    )
    by_centre: dict[int, list[Complaint]] = {}
    for complaint in overdue[: MAX_PER_KIND * 2]:
        by_centre.setdefault(complaint.centre_id, []).append(complaint)
    items = []
    for centre_id, complaints in by_centre.items():
        if len(complaints) > OVERDUE_COMPLAINTS_SHOWN_SINGLY:
            items.append(_overdue_together(scope, centre_id, complaints, overdue))
        else:
            items += [_overdue_one(scope, complaint) for complaint in complaints]
    return items[:MAX_PER_KIND]


def _overdue_one(scope: _Scope, complaint: Complaint) -> InboxItem:
    assert complaint.reply_due_at is not None  # noqa: S101 - complaint_overdue_q: past a stored deadline
    return InboxItem(
        kind=Kind.COMPLAINT_OVERDUE,
        obj_id=complaint.id,
        title=_("%(no)s 已超过答复时限（%(status)s）")
        % {"no": complaint.tracking_no, "status": complaint.get_status_display()},
        detail=_("承办人：%(who)s") % {"who": complaint.owner.name if complaint.owner else _("未分派")},
        deadline=complaint.reply_due_at,
        consequence=_("已逾期：计入超时件，群众仍在等待答复；请督办或改派。"),
        url=complaint.get_absolute_url(),
        centre=scope.centre_name(complaint.centre_id),
    )


def _overdue_together(scope: _Scope, centre_id: int, shown: list[Complaint], overdue: QuerySet[Complaint]) -> InboxItem:
    of_centre = overdue.filter(centre_id=centre_id)
    count = of_centre.count()  # all of them, beyond the rows loaded
    unassigned = of_centre.filter(owner__isnull=True).count()
    oldest = shown[0]
    assert oldest.reply_due_at is not None  # noqa: S101 - as above
    query = {"metric": "complaints_overdue"}
    if scope.city_wide:
        query["centre"] = scope.centres[centre_id].code
    return InboxItem(
        kind=Kind.COMPLAINTS_OVERDUE,
        obj_id=centre_id,
        title=_("%(n)d 件投诉建议已超过答复时限") % {"n": count},
        detail=_("最早一件 %(no)s 于 %(at)s 到期；其中 %(unassigned)d 件尚未分派")
        % {
            "no": oldest.tracking_no,
            "at": f"{timezone.localtime(oldest.reply_due_at):%Y-%m-%d %H:%M}",
            "unassigned": unassigned,
        },
        deadline=oldest.reply_due_at,
        consequence=_("已逾期：计入超时件，群众仍在等待答复；请督办或改派。"),
        url=f"{reverse('complaints:complaint-list')}?{urlencode(query)}",
        centre=scope.centre_name(centre_id),
    )


def classify_queue_url(centre: Centre | None = None, *, city_wide: bool = False) -> str:
    """The classification queue (complaints:classify-queue) where it exists, else the list of unclassified
    open complaints."""
    query = {"centre": centre.code} if centre is not None and city_wide else {}
    try:
        base = reverse("complaints:classify-queue")
    except NoReverseMatch:
        base = reverse("complaints:complaint-list")
        query = {"category": "none", "open": "true", **query}
    return f"{base}?{urlencode(query)}" if query else base


def _unclassified(scope: _Scope, calendar: WorkCalendar) -> list[InboxItem]:
    """One item per centre: how many open complaints wait for a category, due when the oldest must be answered."""
    rows = (
        complaints_selectors.complaint_list_for(user=scope.user)
        .filter(centre_id__in=scope.decided, category="")
        .exclude(status__in=complaints_selectors.COMPLAINT_FINISHED)
        .order_by("centre_id", "received_at")
    )
    by_centre: dict[int, list[Complaint]] = {}
    for complaint in rows.select_related(None).only("id", "centre_id", "received_at"):
        by_centre.setdefault(complaint.centre_id, []).append(complaint)
    items = []
    for centre_id, waiting in by_centre.items():
        first = waiting[0]
        items.append(
            InboxItem(
                kind=Kind.UNCLASSIFIED,
                obj_id=centre_id,
                title=_("%(n)d 件投诉建议尚未归类") % {"n": len(waiting)},
                detail=_("最早一件受理于 %(at)s") % {"at": f"{timezone.localtime(first.received_at):%Y-%m-%d %H:%M}"},
                deadline=complaints_selectors.complaint_reply_due(first, calendar).at,
                consequence=_("未归类的投诉不计入类别占比，也不能转入整改台账。"),
                url=classify_queue_url(scope.centres.get(centre_id), city_wide=scope.city_wide),
                centre=scope.centre_name(centre_id),
            )
        )
    return items


def _rota_gaps(scope: _Scope, calendar: WorkCalendar, today: date) -> list[InboxItem]:
    """One item per centre: the working half-days of the next 14 days without a leader on duty, due when the
    first of them starts."""
    last = today + timedelta(days=ROTA_HORIZON_DAYS - 1)
    items = []
    for centre_id in sorted(scope.decided):
        centre = scope.centres[centre_id]
        gaps = []
        monday = today - timedelta(days=today.weekday())
        while monday <= last:
            week = complaints_selectors.duty_week(centre=centre, monday=monday, calendar=calendar)
            gaps += [gap for gap in week.gaps if today <= gap.day <= last]
            monday += timedelta(days=7)
        if not gaps:
            continue
        first = gaps[0]
        starts = datetime.combine(first.day, time(8 if first.half == "am" else 14))
        shown = _("、").join(f"{gap.day:%m-%d} {gap.half_label}" for gap in gaps[:6]) + ("…" if len(gaps) > 6 else "")
        items.append(
            InboxItem(
                kind=Kind.ROTA_GAP,
                obj_id=centre_id,
                title=_("未来 %(days)d 天有 %(n)d 个工作半天无领导值班") % {"days": ROTA_HORIZON_DAYS, "n": len(gaps)},
                detail=_("%(when)s；第一个空缺：%(why)s") % {"when": shown, "why": first.gap},
                deadline=timezone.make_aware(starts),
                consequence=_("到时办不成事反映窗口无领导接待。"),
                url=f"{reverse('complaints:duty-rota')}?week={first.day - timedelta(days=first.day.weekday())}",
                centre=scope.centre_name(centre_id),
            )
        )
    return items


# --- the whole inbox ---------------------------------------------------------------------------


def inbox_for(*, user: User, now: datetime | None = None) -> list[InboxItem]:
    """Everything waiting on this leader, the nearest deadline first (overdue ones lead)."""
    scope = _scope(user)
    if scope is None:
        return []
    now = now or timezone.now()
    calendar = WorkCalendar.load()
    items = [
        *_appeals(scope, calendar),
        *_close_outs(scope, calendar),
        *_extensions(scope),
        *_escalations(scope),
        *_overdue_complaints(scope, now),
        *_unclassified(scope, calendar),
        *_rota_gaps(scope, calendar, timezone.localtime(now).date()),
    ]
    return sorted(items, key=lambda item: (item.deadline, item.kind, item.obj_id))


COUNT_CACHE_SECONDS = 60


def _count_key(user_id: int) -> str:
    return f"dashboard:inbox-count:{user_id}"


def inbox_count_cached(user: User) -> int:
    """The menu badge: the inbox's length, kept a minute (every page shows it); a decision drops it."""
    count = cache.get(_count_key(user.id))
    if count is None:
        # On the primary even on a report page that reads from the replica: a decision drops the cached count,
        # and a lagging replica must not put the old one back for a minute (govservice/replica.py).
        with use_primary():
            count = len(inbox_for(user=user))
        cache.set(_count_key(user.id), count, COUNT_CACHE_SECONDS)
    return int(count)


def forget_count(user: User) -> None:
    cache.delete(_count_key(user.id))


def inbox_home_notes(user: User) -> list[HomeNote]:
    """A leader's home page says how much waits on them, how much of it is overdue, and links the inbox."""
    items = inbox_for(user=user)
    if not items:
        return []
    now = timezone.now()
    overdue = sum(1 for item in items if item.overdue(now))
    text = _("待我决定：%(n)d 项，其中 %(overdue)d 项已逾期；最近的截止时间 %(at)s（%(what)s）。") % {
        "n": len(items),
        "overdue": overdue,
        "at": f"{timezone.localtime(items[0].deadline):%Y-%m-%d %H:%M}",
        "what": items[0].kind_label,
    }
    return [HomeNote(text=text, url=reverse("dashboard:inbox"), link_text=_("打开待我决定"), warn=bool(overdue))]
