"""Dashboard selectors: dataclasses from a bounded number of aggregate queries (never per-row loops).

Sources owned by other apps (bad reviews, escalations, SMS, cases, service stars,
training) are read only if their models exist; a missing source is named in
`Dashboard.missing` instead of being invented here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice.workdays import WorkCalendar
from staff.models import User
from staff.selectors import scope_to_user

from .models import Measure, Problem, ProblemCategory
from .selectors import optional_model

S = Problem.Status


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date
    department: int | None = None
    centre: str = ""

    @classmethod
    def from_query(cls, params: object, today: date | None = None) -> DashboardFilters:
        get = params.get  # type: ignore[attr-defined]
        today = today or timezone.localdate()
        default_start = (today.replace(day=1) - timedelta(days=150)).replace(day=1)

        def parse(value: object, fallback: date) -> date:
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                return fallback

        department = str(get("department") or "")
        return cls(
            start=parse(get("start"), default_start),
            end=parse(get("end"), today),
            department=int(department) if department.isdigit() else None,
            centre=str(get("centre") or ""),
        )


@dataclass
class Figure:
    key: str
    label: str
    value: int | float | None
    url: str = ""
    level: str = ""  # "", "warn" or "danger": how loudly the tile speaks


@dataclass
class LedgerRow:
    key: str
    label: str
    open: int = 0
    in_rectification: int = 0
    close_out_applied: int = 0
    closed: int = 0
    overdue: int = 0
    closed_on_time: int = 0
    on_time_rate: float | None = None
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.open + self.in_rectification + self.close_out_applied + self.closed


@dataclass
class Share:
    key: str
    label: str
    count: int
    share: float | None
    url: str = ""


@dataclass
class MonthCounts:
    month: str
    total: int
    by_category: dict[str, int]
    url: str = ""


@dataclass
class Satisfaction:
    key: str
    label: str
    total: int
    very_satisfied_rate: float | None
    good_rate: float | None
    url: str = ""


@dataclass
class Dashboard:
    start: str
    end: str
    decisions: list[Figure]
    ledger: list[LedgerRow]
    ledger_total: LedgerRow
    centres: list[LedgerRow]
    complaints_by_category: list[Share]
    complaints_by_month: list[MonthCounts]
    satisfaction_by_month: list[Satisfaction]
    satisfaction_by_window: list[Satisfaction]
    satisfaction_by_channel: list[Satisfaction]
    cases: list[Figure]
    staff: list[Figure]
    missing: list[str]


def _url(name: str, query: dict[str, object] | None = None, *args: object) -> str:
    try:
        base = reverse(name, args=args or None)
    except NoReverseMatch:
        return ""
    query = {k: v for k, v in (query or {}).items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _month_range(prefix: str, month: str) -> dict[str, str]:
    """`received_from`/`received_to` (or rated_…) covering one "YYYY-MM" month, as the lists filter."""
    first = date.fromisoformat(f"{month}-01")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {f"{prefix}_from": first.isoformat(), f"{prefix}_to": last.isoformat()}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _scoped(queryset: QuerySet, user: User, filters: DashboardFilters, centre_field: str = "centre") -> QuerySet:
    queryset = scope_to_user(queryset, user, centre_field=centre_field)
    if filters.centre and user.is_city_wide:
        queryset = queryset.filter(**{f"{centre_field}__code": filters.centre})
    return queryset


def _ledger(
    user: User, filters: DashboardFilters, today: date
) -> tuple[list[LedgerRow], LedgerRow, list[LedgerRow], int]:
    measures = Measure.objects.filter(problem=OuterRef("pk"))
    problems = _scoped(Problem.objects.all(), user, filters)
    if filters.department:
        problems = problems.filter(
            Q(responsible_department_id=filters.department)
            | Q(Exists(measures.filter(owner_department_id=filters.department)))
        )
    from django.db.models import DateField, Max, Subquery

    deadline = Subquery(
        measures.order_by().values("problem").annotate(d=Max("deadline")).values("d")[:1], output_field=DateField()
    )
    annotated = problems.annotate(
        last_deadline=deadline,
        has_overdue=Exists(measures.filter(completed_at__isnull=True, deadline__lt=today)),
        closed_on=TruncDate("closed_at"),
    )
    counts = {
        "open": Count("id", filter=Q(status=S.OPEN)),
        "in_rectification": Count("id", filter=Q(status=S.IN_RECTIFICATION)),
        "close_out_applied": Count("id", filter=Q(status=S.CLOSE_OUT_APPLIED)),
        "closed": Count("id", filter=Q(status=S.CLOSED)),
        "overdue": Count("id", filter=~Q(status=S.CLOSED) & Q(has_overdue=True)),
        "closed_on_time": Count("id", filter=Q(status=S.CLOSED, closed_on__lte=F("last_deadline"))),
    }
    base_query = {"department": filters.department or "", "centre": filters.centre}

    def row(key: str, label: str, values: dict, extra: dict) -> LedgerRow:
        item = LedgerRow(key=key, label=label, **{k: values.get(k) or 0 for k in counts})
        item.on_time_rate = _rate(item.closed_on_time, item.closed + item.overdue)
        query = {**base_query, **extra}
        item.urls = {
            "total": _url("rectification:ledger", query),
            "overdue": _url("rectification:ledger", {**query, "overdue": 1}),
            **{status: _url("rectification:ledger", {**query, "status": status}) for status in S.values},
        }
        return item

    by_category = {r["category"]: r for r in annotated.order_by().values("category").annotate(**counts)}
    rows = [row(c.value, str(c.label), by_category.get(c.value, {}), {"category": c.value}) for c in ProblemCategory]
    totals = {k: sum(getattr(r, k) for r in rows) for k in counts}
    total = row("all", _("合计"), totals, {})
    centres: list[LedgerRow] = []
    if user.is_city_wide:
        per_centre = annotated.order_by("centre__code").values("centre__code", "centre__name").annotate(**counts)
        centres = [row(r["centre__code"], r["centre__name"], r, {"centre": r["centre__code"]}) for r in per_centre]
    overdue_measures = (
        Measure.objects.filter(problem__in=problems, completed_at__isnull=True, deadline__lt=today)
        .exclude(problem__status=S.CLOSED)
        .count()
    )
    return rows, total, centres, overdue_measures


MAX_MONTHS = 36


def _month_buckets(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Local calendar months covering [start, end), the last MAX_MONTHS of them.

    Counting per month with range filters (one pass, index-friendly) instead of
    truncating every row's timestamp: on SQLite the truncation is a Python function
    per row and took 10 s over a million evaluations.
    """
    tz = start.tzinfo
    buckets = []
    month = start.date().replace(day=1)
    while datetime.combine(month, time.min, tzinfo=tz) < end:
        following = (month + timedelta(days=32)).replace(day=1)
        lower = max(start, datetime.combine(month, time.min, tzinfo=tz))
        upper = min(end, datetime.combine(following, time.min, tzinfo=tz))
        buckets.append((month.strftime("%Y-%m"), lower, upper))
        month = following
    return buckets[-MAX_MONTHS:]


def _complaints(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> tuple[list[Share], list[MonthCounts]]:  # noqa: ANN001
    from complaints.models import Complaint

    queryset = _scoped(Complaint.objects.filter(received_at__gte=start, received_at__lt=end), user, filters)
    if filters.department:
        queryset = queryset.filter(Q(department_id=filters.department) | Q(window__department_id=filters.department))
    buckets = _month_buckets(start, end)
    per_bucket = {
        f"m{i}": Count("id", filter=Q(received_at__gte=lower, received_at__lt=upper))
        for i, (_label, lower, upper) in enumerate(buckets)
    }
    rows = list(queryset.order_by().values("category").annotate(n=Count("id"), **per_bucket))
    labels = dict(ProblemCategory.choices)
    per_category: dict[str, int] = {}
    per_month: dict[str, dict[str, int]] = {label: {} for label, _lower, _upper in buckets}
    for r in rows:
        per_category[r["category"]] = per_category.get(r["category"], 0) + r["n"]
        for i, (label, _lower, _upper) in enumerate(buckets):
            if r[f"m{i}"]:
                per_month[label][r["category"]] = r[f"m{i}"]
    total = sum(per_category.values())
    list_url = "complaints:complaint-list"
    shares = [
        Share(
            key,
            str(labels.get(key, _("未分类"))),
            per_category.get(key, 0),
            _rate(per_category.get(key, 0), total),
            _url(list_url, {"category": key or "none", "received_from": filters.start, "received_to": filters.end}),
        )
        for key in [*ProblemCategory.values, ""]
        if key or per_category.get(key)
    ]
    months = [
        MonthCounts(month, sum(counts.values()), counts, _url(list_url, _month_range("received", month)))
        for month, counts in sorted(per_month.items())
    ]
    return shares, months


def _satisfaction(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> tuple[list[Satisfaction], ...]:  # noqa: ANN001
    from complaints.models import Evaluation

    queryset = _scoped(Evaluation.objects.filter(rated_at__gte=start, rated_at__lt=end, excluded=False), user, filters)
    if filters.department:
        queryset = queryset.filter(window__department_id=filters.department)
    figures = {"n": Count("id"), "very": Count("id", filter=Q(level=5)), "good": Count("id", filter=Q(level__gte=3))}
    list_url = "complaints:evaluation-list"

    period = {"rated_from": filters.start, "rated_to": filters.end, "excluded": "false"}

    def build(rows, key: str, label_of, link_of) -> list[Satisfaction]:  # noqa: ANN001
        return [
            Satisfaction(
                str(r[key] or ""),
                label_of(r),
                r["n"],
                _rate(r["very"], r["n"]),
                _rate(r["good"], r["n"]),
                _url(list_url, link_of(r)),
            )
            for r in rows
        ]

    buckets = _month_buckets(start, end)
    monthly: dict[str, Count] = {}
    for i, (_label, lower, upper) in enumerate(buckets):
        in_month = Q(rated_at__gte=lower, rated_at__lt=upper)
        monthly[f"n{i}"] = Count("id", filter=in_month)
        monthly[f"very{i}"] = Count("id", filter=in_month & Q(level=5))
        monthly[f"good{i}"] = Count("id", filter=in_month & Q(level__gte=3))
    # One scan of the evaluations: groups of (window, channel) with per-month counts,
    # rolled up here. The groups are bounded by windows × channels, not by the data.
    groups = list(
        queryset.order_by()
        .values("window_id", "window__code", "window__name", "channel_id", "channel__code", "channel__name")
        .annotate(**figures, **monthly)
    )

    def roll(key_of) -> list[dict]:  # noqa: ANN001
        out: dict[object, dict] = {}
        for g in groups:
            item = out.setdefault(key_of(g), {**g, "n": 0, "very": 0, "good": 0})
            for name in ("n", "very", "good"):
                item[name] += g[name]
        return [out[k] for k in sorted(out, key=lambda k: str(k or ""))]

    by_month = []
    for i, (label, _lower, _upper) in enumerate(buckets):
        n = sum(g[f"n{i}"] for g in groups)
        if n:
            very, good = sum(g[f"very{i}"] for g in groups), sum(g[f"good{i}"] for g in groups)
            by_month.append({"month": label, "n": n, "very": very, "good": good})
    # By id (two centres may both have a window "B01"), listed by code.
    by_window = sorted(roll(lambda g: g["window_id"]), key=lambda r: (r["window__code"] or "", r["window_id"] or 0))
    by_channel = roll(lambda g: g["channel__code"])
    months = build(
        by_month,
        "month",
        lambda r: r["month"],
        lambda r: {**_month_range("rated", r["month"]), "excluded": "false"},
    )
    windows = build(
        by_window,
        "window__code",
        lambda r: f"{r['window__code'] or ''} {r['window__name'] or _('未关联窗口')}",
        lambda r: {**period, "window": r["window_id"] or "none"},
    )
    channels = build(
        by_channel, "channel__code", lambda r: r["channel__name"], lambda r: {**period, "channel": r["channel_id"]}
    )
    return months, windows, channels


def dashboard_for(*, user: User, filters: DashboardFilters, today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    missing: list[str] = []

    ledger, ledger_total, centres, overdue_measures = _ledger(user, filters, today)
    decisions = [
        Figure(
            "overdue_measures",
            _("逾期整改措施"),
            overdue_measures,
            _url("rectification:ledger", {"overdue": 1, "centre": filters.centre}),
            "danger" if overdue_measures else "",
        ),
        Figure(
            "close_out_waiting",
            _("待验收的销号申请"),
            ledger_total.close_out_applied,
            ledger_total.urls["close_out_applied"],
            "warn" if ledger_total.close_out_applied else "",
        ),
    ]

    escalation = optional_model("complaints", "Escalation")
    if escalation is not None and hasattr(escalation, "due_date"):
        soon = WorkCalendar.load().add_working_days(today, 1).date
        # Answered (resolved, or reported as not solvable) or closed: the 2/5-day clock has stopped.
        done = [s for s in ("resolved", "unresolved", "closed") if s in escalation.Status.values]
        near = _scoped(escalation.objects.exclude(status__in=done).filter(due_date__lte=soon), user, filters).count()
        decisions.append(
            Figure(
                "escalations_due",
                _("办不成事：临近或超过 2/5 个工作日时限"),
                near,
                _url("complaints:escalation-list", {"due": "soon"}),
                "danger" if near else "",
            )
        )
    else:
        missing.append(_("办不成事反映（complaints.Escalation 尚未提供）"))

    bad_review = optional_model("complaints", "BadReview")
    if bad_review is not None and hasattr(bad_review, "callback_satisfied"):
        # Rectified and waiting for the citizen to be called back (已整改待回访).
        waiting = _scoped(bad_review.objects.filter(status="rectified"), user, filters).count()
        decisions.append(
            Figure(
                "bad_reviews_without_callback",
                _("差评未回访"),
                waiting,
                _url("complaints:bad-review-list", {"status": "rectified"}),
                "warn" if waiting else "",
            )
        )
    else:
        missing.append(_("差评回访（complaints.BadReview 尚未提供）"))

    from notifications.models import SmsMessage

    sms = SmsMessage.objects.filter(status=SmsMessage.Status.FAILED, created_at__gte=start, created_at__lt=end)
    sms = sms if user.is_city_wide and not filters.centre else _scoped(sms, user, filters)
    failed = sms.count()
    decisions.append(
        Figure(
            "sms_failed",
            _("短信发送失败"),
            failed,
            _url("notifications:sms-list", {"status": "failed"}),
            "warn" if failed else "",
        )
    )

    complaints_by_category, complaints_by_month = _complaints(user, filters, start, end)
    by_month, by_window, by_channel = _satisfaction(user, filters, start, end)

    cases = _cases(user, filters, start, end, missing)
    staff = _staff_tiles(user, filters, missing)
    return Dashboard(
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        decisions=decisions,
        ledger=ledger,
        ledger_total=ledger_total,
        centres=centres,
        complaints_by_category=complaints_by_category,
        complaints_by_month=complaints_by_month,
        satisfaction_by_month=by_month,
        satisfaction_by_window=by_window,
        satisfaction_by_channel=by_channel,
        cases=cases,
        staff=staff,
        missing=missing,
    )


def _cases(user: User, filters: DashboardFilters, start, end, missing: list[str]) -> list[Figure]:  # noqa: ANN001
    """Same meanings as the cases list filters (`deficient` = has a written commitment, `assisted` = special group)."""
    from cases.models import Case

    queryset = _scoped(Case.objects.filter(created_at__gte=start, created_at__lt=end), user, filters)
    if filters.department:
        queryset = queryset.filter(matter_type__department_id=filters.department)
    special = Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True)
    commitment = optional_model("cases", "Commitment")
    material = optional_model("cases", "CaseMaterial")
    figures: dict[str, Count] = {"total": Count("id"), "assisted": Count("id", filter=special)}
    if commitment is not None and material is not None:
        materials = material.objects.filter(case=OuterRef("pk"))
        queryset = queryset.annotate(
            still_deferred=Exists(materials.filter(state="deferred")),
            corrected_late=Exists(materials.filter(received_at__date__gt=OuterRef("commitment__deadline"))),
        )
        figures["deficient"] = Count("id", filter=Q(commitment__isnull=False))
        figures["corrected_in_time"] = Count(
            "id", filter=Q(commitment__isnull=False, still_deferred=False, corrected_late=False)
        )
    values = queryset.aggregate(**figures)
    period = {"from": filters.start, "to": filters.end}
    url = "cases:case-list"
    result = [Figure("cases_total", _("办件量"), values["total"], _url(url, period))]
    if "deficient" in values:
        result += [
            Figure("cases_deficient", _("容缺受理"), values["deficient"], _url(url, {**period, "deficient": 1})),
            Figure(
                "cases_corrected_in_time_rate",
                _("按期补正率(%)"),
                _rate(values["corrected_in_time"], values["deficient"]),
                _url(url, {**period, "deficient": 1}),
            ),
        ]
    else:
        missing.append(_("容缺受理与补正（cases 尚未提供书面承诺）"))
    result.append(Figure("cases_assisted", _("帮办代办"), values["assisted"], _url(url, {**period, "assisted": 1})))
    assistance = optional_model("cases", "Assistance")
    if assistance is not None and hasattr(assistance, "satisfaction"):
        rated = assistance.objects.filter(case__in=queryset.filter(special).values("id")).aggregate(
            n=Count("id", filter=Q(satisfaction__isnull=False)), good=Count("id", filter=Q(satisfaction__gte=4))
        )
        result.append(
            Figure(
                "cases_assisted_satisfaction",
                _("帮办代办满意率(%)"),
                _rate(rated["good"], rated["n"]),
                _url("cases:assistance"),
            )
        )
    else:
        missing.append(_("帮办满意度（cases 尚未提供帮办记录）"))
    return result


def _staff_tiles(user: User, filters: DashboardFilters, missing: list[str]) -> list[Figure]:
    """Tiles that open the staff-development pages (service stars, training) where they exist."""
    centre_code = filters.centre or (user.centre.code if user.centre_id else "")
    tiles = []
    star_url = _url("staff:star-board", None, centre_code) if centre_code else ""
    star_url = star_url or _url("staff:score-months")
    for key, label, url in (
        ("service_stars", _("本月服务之星"), star_url),
        ("training", _("培训计划完成情况"), _url("staff:training")),
    ):
        if url:
            tiles.append(Figure(key, label, None, url))
        else:
            missing.append(_("%(l)s（staff 页面尚未提供）") % {"l": label})
    return tiles
