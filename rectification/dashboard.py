"""Dashboard selectors: dataclasses from a bounded number of aggregate queries (never per-row loops).

Sources owned by other apps (bad reviews, escalations, SMS, cases, service stars,
training) are read only if their models exist; a missing source is named in
`Dashboard.missing` instead of being invented here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from govservice.workdays import WorkCalendar
from staff.models import Department, User, Window
from staff.selectors import centre_list_for, scope_to_user

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
class Choice:
    """An option of the dashboard's filter form."""

    value: int | str
    label: str


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
    department_choices: list[Choice] = field(default_factory=list)
    centre_choices: list[Choice] = field(default_factory=list)
    computed_at: datetime | None = None  # the figures may come from a cache: shown on the page


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


def _narrowed(user: User, filters: DashboardFilters, *, department: bool = True) -> dict[str, object]:
    """The centre and department filters, as the lists a figure opens take them.

    Passed on only where the figure applied them: a centre's own leader is never narrowed by
    `centre` (see `_scoped`), and the tiles counted over the whole scope take no department.
    """
    narrowed: dict[str, object] = {"centre": filters.centre if user.is_city_wide else ""}
    if department:
        narrowed["department"] = filters.department or ""
    return narrowed


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _single_rows(*parts: tuple[QuerySet, dict[str, Aggregate]]) -> dict[str, Any]:
    """Whole-queryset counts over several tables in one round trip.

    Each part is what `queryset.aggregate(**aggregates)` would run (no GROUP BY, so exactly
    one row); the rows are cross-joined: `SELECT * FROM (q1) AS p0 CROSS JOIN (q2) AS p1 ...`.
    The SQL of each part is the ORM's own, with its parameters passed separately.
    """
    tables, params = [], []
    names: list[str] = []
    for i, (queryset, aggregates) in enumerate(parts):
        # Grouping by a constant is no grouping: one row for the whole queryset.
        one_group = queryset.order_by().values(_all=Value(1)).annotate(**aggregates).values(*aggregates)
        try:
            sql, part_params = one_group.query.sql_with_params()
        except EmptyResultSet:  # out of scope (`.none()`): nothing to count
            sql, part_params = "SELECT " + ", ".join(f"0 AS {connection.ops.quote_name(k)}" for k in aggregates), ()
        tables.append(f"({sql}) AS p{i}")
        params.extend(part_params)
        names.extend(aggregates)
    if len(names) != len(set(names)):
        raise ValueError(f"aggregate names must be unique across parts: {names}")
    with connection.cursor() as cursor:
        # Only the ORM's compiled SQL and fixed aliases are joined here; values stay parameters.
        cursor.execute("SELECT * FROM " + " CROSS JOIN ".join(tables), params)  # noqa: S608
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


@dataclass(frozen=True)
class _Named:
    code: str
    name: str
    parent: int | None  # the centre of a window or department


def _names(*, user: User, windows: set[int], channels: set[int]) -> dict[str, dict[int, _Named]]:
    """Codes and names of the given windows and channels, and of the centres and departments in scope, in one query.

    The aggregates group by integer ids (a hash aggregate, no wide sort); the few names
    they need are read here, from the small reference tables, by id.
    """
    from complaints.models import Channel

    text, number = CharField(), IntegerField()

    def part(queryset: QuerySet, kind: str, parent: str | None = None) -> QuerySet:
        # A typed NULL: PostgreSQL types two untyped NULLs of a UNION as text, which then fails
        # against the departments' integer centre_id when no window part comes first (a period
        # whose evaluations have no window).
        return queryset.order_by().values_list(
            Value(kind, output_field=text), "id", "code", "name", F(parent) if parent else Cast(Value(None), number)
        )

    parts = [
        part(Window.objects.filter(id__in=windows), "window", "centre_id"),
        part(Channel.objects.filter(id__in=channels), "channel"),
        part(centre_list_for(user=user), "centre"),
        part(scope_to_user(Department.objects.all(), user), "department", "centre_id"),
    ]
    found: dict[str, dict[int, _Named]] = {"window": {}, "channel": {}, "centre": {}, "department": {}}
    for kind, pk, code, name, parent in parts[0].union(*parts[1:], all=True).order_by():
        found[kind][pk] = _Named(code, name, parent)
    return found


def _scoped(queryset: QuerySet, user: User, filters: DashboardFilters, centre_field: str = "centre") -> QuerySet:
    queryset = scope_to_user(queryset, user, centre_field=centre_field)
    if filters.centre and user.is_city_wide:
        queryset = queryset.filter(**{f"{centre_field}__code": filters.centre})
    return queryset


_LEDGER_COUNTS = ("open", "in_rectification", "close_out_applied", "closed", "overdue", "closed_on_time")


def _ledger_row(key: str, label: str, values: dict[str, int], query: dict[str, object]) -> LedgerRow:
    item = LedgerRow(key=key, label=label, **{k: values.get(k) or 0 for k in _LEDGER_COUNTS})
    item.on_time_rate = _rate(item.closed_on_time, item.closed + item.overdue)
    item.urls = {
        "total": _url("rectification:ledger", query),
        "overdue": _url("rectification:ledger", {**query, "overdue": 1}),
        **{status: _url("rectification:ledger", {**query, "status": status}) for status in S.values},
    }
    return item


@dataclass
class _Ledger:
    rows: list[LedgerRow]
    total: LedgerRow
    per_centre: dict[int, dict[str, int]]  # city-wide users: counts by centre id, labelled once names are read
    overdue_measures: QuerySet  # counted with the other single figures


def _ledger(user: User, filters: DashboardFilters, today: date) -> _Ledger:
    measures = Measure.objects.filter(problem=OuterRef("pk"))
    problems = _scoped(Problem.objects.all(), user, filters)
    if filters.department:
        problems = problems.filter(
            Q(responsible_department_id=filters.department)
            | Q(Exists(measures.filter(owner_department_id=filters.department)))
        )
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
    # One query: by category, and for city-wide users by centre × category, rolled up here.
    keys = ["centre_id", "category"] if user.is_city_wide else ["category"]
    by_category: dict[str, dict[str, int]] = {}
    by_centre: dict[int, dict[str, int]] = {}
    for group in annotated.order_by().values(*keys).annotate(**counts):
        buckets = [by_category.setdefault(group["category"], {})]
        if user.is_city_wide:
            buckets.append(by_centre.setdefault(group["centre_id"], {}))
        for bucket in buckets:
            for k in counts:
                bucket[k] = bucket.get(k, 0) + group[k]
    base_query = {"department": filters.department or "", "centre": filters.centre}
    rows = [
        _ledger_row(c.value, str(c.label), by_category.get(c.value, {}), {**base_query, "category": c.value})
        for c in ProblemCategory
    ]
    total = _ledger_row("all", _("合计"), {k: sum(getattr(r, k) for r in rows) for k in counts}, base_query)
    overdue_measures = Measure.objects.filter(problem__in=problems, completed_at__isnull=True, deadline__lt=today)
    return _Ledger(rows, total, by_centre, overdue_measures.exclude(problem__status=S.CLOSED))


def _centre_rows(ledger: _Ledger, centres: dict[int, _Named], filters: DashboardFilters) -> list[LedgerRow]:
    """The per-centre comparison in centre-code order, each number a link to that centre's ledger."""
    department = filters.department or ""
    rows = [
        _ledger_row(centre.code, centre.name, counts, {"department": department, "centre": centre.code})
        for centre_id, counts in ledger.per_centre.items()
        if (centre := centres.get(centre_id)) is not None
    ]
    return sorted(rows, key=lambda r: r.key)


MAX_MONTHS = 36


def _month_buckets(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Local calendar months covering [start, end), the last MAX_MONTHS of them.

    Rows are put in a month by comparing with these bounds (`_month_of`) instead of
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


def _month_of(field: str, buckets: list[tuple[str, datetime, datetime]]) -> Case:
    """The index of the month bucket a row's local day falls in (-1: before the first bucket), as SQL.

    A few comparisons per row, and GROUP BY does the counting: cheaper than one filtered
    count per month and figure (which made every row evaluate dozens of filters). `field` is
    a date (the day counts): the bounds are local midnights, so they compare as local dates.
    """
    whens = [When(**{f"{field}__lt": buckets[0][1].date()}, then=Value(-1))] if buckets else []
    whens += [
        When(**{f"{field}__lt": upper.date()}, then=Value(i)) for i, (_label, _lower, upper) in enumerate(buckets)
    ]
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def _complaint_groups(
    user: User, filters: DashboardFilters, buckets: list[tuple[str, datetime, datetime]]
) -> list[tuple[str, int, int]]:
    """The period's complaints counted by category and month index: (category, month, n).

    Summed from the complaints' day counts (kept by triggers, govservice/rollups.py), not
    from the complaints: a few rows per day instead of every complaint of the period.
    """
    from complaints.models import ComplaintDayCount

    days = ComplaintDayCount.objects.filter(day__gte=filters.start, day__lte=filters.end)
    queryset = _scoped(days, user, filters)
    if filters.department:
        queryset = queryset.filter(Q(department_id=filters.department) | Q(window__department_id=filters.department))
    return list(
        queryset.order_by()
        .values("category", month=_month_of("day", buckets))
        .annotate(total=Sum("n"))
        .filter(total__gt=0)  # shards of a counter may cancel out (govservice/rollups.py)
        .values_list("category", "month", "total")
    )


def _complaints(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> tuple[list[Share], list[MonthCounts]]:
    buckets = _month_buckets(start, end)
    rows = _complaint_groups(user, filters, buckets)
    labels = dict(ProblemCategory.choices)
    per_category: dict[str, int] = {}
    per_month: dict[str, dict[str, int]] = {label: {} for label, _lower, _upper in buckets}
    for category, month, n in rows:
        per_category[category] = per_category.get(category, 0) + n
        if month >= 0:
            per_month[buckets[month][0]][category] = n
    total = sum(per_category.values())
    list_url = "complaints:complaint-list"
    narrowed = _narrowed(user, filters)
    shares = [
        Share(
            key,
            str(labels.get(key, _("未分类"))),
            per_category.get(key, 0),
            _rate(per_category.get(key, 0), total),
            _url(
                list_url,
                {"category": key or "none", "received_from": filters.start, "received_to": filters.end, **narrowed},
            ),
        )
        for key in [*ProblemCategory.values, ""]
        if key or per_category.get(key)
    ]
    months = [
        MonthCounts(
            month, sum(counts.values()), counts, _url(list_url, {**_month_range("received", month), **narrowed})
        )
        for month, counts in sorted(per_month.items())
    ]
    return shares, months


@dataclass(frozen=True)
class _EvaluationGroup:
    window_id: int | None
    channel_id: int
    level: int
    month: int  # index into the month buckets, -1 before them
    n: int


def _evaluation_groups(
    user: User, filters: DashboardFilters, buckets: list[tuple[str, datetime, datetime]]
) -> list[_EvaluationGroup]:
    """The period's evaluations (not excluded) counted by window, channel, level and month.

    Summed from the evaluations' day counts (kept by triggers, govservice/rollups.py): at most
    windows × channels × 5 levels rows per day, instead of a scan of every evaluation of the
    period (0.3–0.9 s at a million). Grouped by integer ids and the month's index only (a hash
    aggregate); the groups are bounded by windows × channels × 5 levels × months.
    """
    from complaints.models import EvaluationDayCount

    days = EvaluationDayCount.objects.filter(day__gte=filters.start, day__lte=filters.end)
    queryset = _scoped(days, user, filters)
    if filters.department:
        queryset = queryset.filter(window__department_id=filters.department)
    rows = (
        queryset.order_by()
        .values("window_id", "channel_id", "level", month=_month_of("day", buckets))
        .annotate(total=Sum("n"))
        .filter(total__gt=0)  # shards of a counter may cancel out (govservice/rollups.py)
        .values_list("window_id", "channel_id", "level", "month", "total")
    )
    return [_EvaluationGroup(*row) for row in rows]


def _satisfaction(
    groups: list[_EvaluationGroup],
    buckets: list[tuple[str, datetime, datetime]],
    names: dict[str, dict[int, _Named]],
    filters: DashboardFilters,
    *,
    user: User,
) -> tuple[list[Satisfaction], ...]:
    """Very satisfied (level 5) and good (level 3 and above) rates by month, window and channel."""
    city_wide = user.is_city_wide
    list_url = "complaints:evaluation-list"
    narrowed = _narrowed(user, filters)
    period = {"rated_from": filters.start, "rated_to": filters.end, "excluded": "false", **narrowed}

    def roll(key_of) -> dict:  # noqa: ANN001
        out: dict = {}
        for g in groups:
            key = key_of(g)
            if key is None:
                continue
            n, very, good = out.get(key, (0, 0, 0))
            out[key] = (n + g.n, very + (g.n if g.level == 5 else 0), good + (g.n if g.level >= 3 else 0))
        return out

    def rates(key: str, label: str, counts: tuple[int, int, int], query: dict[str, object]) -> Satisfaction:
        n, very, good = counts
        return Satisfaction(key, label, n, _rate(very, n), _rate(good, n), _url(list_url, query))

    by_month = roll(lambda g: g.month if g.month >= 0 else None)
    months = [
        rates(label, label, by_month[i], {**_month_range("rated", label), "excluded": "false", **narrowed})
        for i, (label, _lower, _upper) in enumerate(buckets)
        if i in by_month
    ]

    # One row per window (a city-wide view names the centre: window numbers repeat across
    # centres), in window-number order; evaluations without a window first.
    no_centre = _Named("", "", None)

    def window_row(window_id: int | None, counts: tuple[int, int, int]) -> tuple[tuple[str, str], Satisfaction]:
        window = names["window"].get(window_id) if window_id else None
        if window is None:
            return ("", ""), rates("", f" {_('未关联窗口')}", counts, {**period, "window": "none"})
        centre = names["centre"].get(window.parent, no_centre) if city_wide else no_centre
        label = f"{window.code} {window.name}"
        label = f"{centre.name} · {label}" if centre.name else label
        return (centre.code, window.code), rates(window.code, label, counts, {**period, "window": window_id})

    ordered = sorted((window_row(w, c) for w, c in roll(lambda g: g.window_id or 0).items()), key=lambda r: r[0])
    windows = [row for _order, row in ordered]
    channels = []
    for channel_id, counts in roll(lambda g: g.channel_id).items():
        channel = names["channel"].get(channel_id, _Named("", "", None))
        channels.append(rates(channel.code, channel.name, counts, {**period, "channel": channel_id}))
    channels.sort(key=lambda s: s.key)
    return months, windows, channels


_CALENDAR_HORIZON = timedelta(days=31)  # the longest run of days off (春节, 国庆) is 9 days


def _next_working_day(today: date) -> date:
    """The working day after `today`, by the work calendar's own rules, in one query.

    Only the overrides of the next weeks matter, and the complete years only decide whether a
    date is provisional, which is not shown here; `WorkCalendar.load()` reads both whole tables.
    """
    from staff.models import WorkCalendarDay

    horizon = today + _CALENDAR_HORIZON
    nearby = WorkCalendarDay.objects.filter(date__gt=today, date__lte=horizon).values_list("date", "is_workday")
    soon = WorkCalendar(dict(nearby), frozenset()).add_working_days(today, 1).date
    return soon if soon <= horizon else WorkCalendar.load().add_working_days(today, 1).date


def dashboard_for(*, user: User, filters: DashboardFilters, today: date | None = None) -> Dashboard:
    """The whole dashboard in 6 queries, whatever the volume.

    The ledger (1), the work calendar's next weeks (1), the single figures of every table
    together (1), complaints (1), evaluations (1), and the names of what those grouped by id,
    with the filter form's choices (1).
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.start, time.min, tzinfo=tz)
    end = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=tz)
    missing: list[str] = []

    ledger = _ledger(user, filters, today)
    singles: list[tuple[QuerySet, dict[str, Aggregate]]] = [(ledger.overdue_measures, {"overdue_measures": Count("*")})]

    escalation = optional_model("complaints", "Escalation")
    if escalation is not None and hasattr(escalation, "due_date"):
        soon = _next_working_day(today)
        # Answered (resolved, or reported as not solvable) or closed: the 2/5-day clock has stopped.
        done = [s for s in ("resolved", "unresolved", "closed") if s in escalation.Status.values]
        near = _scoped(escalation.objects.exclude(status__in=done).filter(due_date__lte=soon), user, filters)
        singles.append((near, {"escalations_due": Count("*")}))
    else:
        missing.append(_("办不成事反映（complaints.Escalation 尚未提供）"))

    bad_review = optional_model("complaints", "BadReview")
    if bad_review is not None and hasattr(bad_review, "callback_satisfied"):
        # Rectified and waiting for the citizen to be called back (已整改待回访).
        waiting = _scoped(bad_review.objects.filter(status="rectified"), user, filters)
        singles.append((waiting, {"bad_reviews_without_callback": Count("*")}))
    else:
        missing.append(_("差评回访（complaints.BadReview 尚未提供）"))

    from notifications.models import SmsMessage

    sms = SmsMessage.objects.filter(status=SmsMessage.Status.FAILED, created_at__gte=start, created_at__lt=end)
    sms = sms if user.is_city_wide and not filters.centre else _scoped(sms, user, filters)
    singles.append((sms, {"sms_failed": Count("*")}))
    singles += _case_parts(user, filters, start, end)
    values = _single_rows(*singles)

    decisions = [
        Figure(
            "overdue_measures",
            _("逾期整改措施"),
            values["overdue_measures"],
            _url("rectification:ledger", {"overdue": 1, **_narrowed(user, filters)}),
            "danger" if values["overdue_measures"] else "",
        ),
        Figure(
            "close_out_waiting",
            _("待验收的销号申请"),
            ledger.total.close_out_applied,
            ledger.total.urls["close_out_applied"],
            "warn" if ledger.total.close_out_applied else "",
        ),
    ]
    if "escalations_due" in values:
        decisions.append(
            Figure(
                "escalations_due",
                _("办不成事：临近或超过 2/5 个工作日时限"),
                values["escalations_due"],
                # The escalation list has no due-date filter yet; it opens the open matters.
                _url("complaints:escalation-list", {"due": "soon", **_narrowed(user, filters, department=False)}),
                "danger" if values["escalations_due"] else "",
            )
        )
    if "bad_reviews_without_callback" in values:
        decisions.append(
            Figure(
                "bad_reviews_without_callback",
                _("差评未回访"),
                values["bad_reviews_without_callback"],
                _url(
                    "complaints:bad-review-list", {"status": "rectified", **_narrowed(user, filters, department=False)}
                ),
                "warn" if values["bad_reviews_without_callback"] else "",
            )
        )
    decisions.append(
        Figure(
            "sms_failed",
            _("短信发送失败"),
            values["sms_failed"],
            _url("notifications:sms-list", {"status": "failed", **_narrowed(user, filters, department=False)}),
            "warn" if values["sms_failed"] else "",
        )
    )

    complaints_by_category, complaints_by_month = _complaints(user, filters, start, end)
    buckets = _month_buckets(start, end)
    groups = _evaluation_groups(user, filters, buckets)
    names = _names(
        user=user, windows={g.window_id for g in groups if g.window_id}, channels={g.channel_id for g in groups}
    )
    by_month, by_window, by_channel = _satisfaction(groups, buckets, names, filters, user=user)
    return Dashboard(
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        decisions=decisions,
        ledger=ledger.rows,
        ledger_total=ledger.total,
        centres=_centre_rows(ledger, names["centre"], filters) if user.is_city_wide else [],
        complaints_by_category=complaints_by_category,
        complaints_by_month=complaints_by_month,
        satisfaction_by_month=by_month,
        satisfaction_by_window=by_window,
        satisfaction_by_channel=by_channel,
        cases=_case_figures(values, filters, missing, narrowed=_narrowed(user, filters)),
        staff=_staff_tiles(user, filters, names["centre"], missing),
        missing=missing,
        department_choices=_department_choices(names, city_wide=user.is_city_wide),
        centre_choices=[Choice(c.code, c.name) for c in sorted(names["centre"].values(), key=lambda c: c.code)]
        if user.is_city_wide
        else [],
        computed_at=timezone.now(),
    )


CACHE_SECONDS = 60


def dashboard_cached_for(*, user: User, filters: DashboardFilters) -> Dashboard:
    """`dashboard_for`, kept CACHE_SECONDS for everyone with the same scope, filters and language.

    The page is left open and reloaded, and the city's big screen polls the API. A computation
    reads the day counts, not the rows (~20 ms at a million evaluations), so the cache only
    spares repeated work; both say when their figures were computed (`computed_at`).
    """
    today = timezone.localdate()
    # What the figures depend on: the scope (city-wide or one centre, see scope_to_user), the
    # user's own centre (the service-star tile), the filters, the day and the language of the labels.
    scope = (user.is_authenticated and user.is_active, user.is_city_wide, user.centre_id)
    facts = repr((scope, filters.start, filters.end, filters.department, filters.centre, today, get_language()))
    key = "rectification:dashboard:" + hashlib.sha256(facts.encode()).hexdigest()
    data = cache.get(key)
    # The age is also checked here: a cache's own expiry is the server's clock, not this process's.
    if (
        data is None
        or data.computed_at is None
        or timezone.now() - data.computed_at >= timedelta(seconds=CACHE_SECONDS)
    ):
        data = dashboard_for(user=user, filters=filters, today=today)
        cache.set(key, data, CACHE_SECONDS)
    return data


def _department_choices(names: dict[str, dict[int, _Named]], *, city_wide: bool) -> list[Choice]:
    """The departments in scope, by centre then name; city-wide users see which centre each is in."""
    centres = names["centre"]
    choices = []
    for pk, department in sorted(
        names["department"].items(),
        key=lambda item: (centres[item[1].parent].code if item[1].parent in centres else "", item[1].name),
    ):
        centre = centres.get(department.parent) if city_wide else None
        choices.append(Choice(pk, f"{centre.name} · {department.name}" if centre else department.name))
    return choices


def _case_parts(
    user: User, filters: DashboardFilters, start: datetime, end: datetime
) -> list[tuple[QuerySet, dict[str, Aggregate]]]:
    """Same meanings as the cases list filters (`deficient` = has a written commitment, `assisted` = special group)."""
    from cases.models import Case, CaseDayCount

    queryset = _scoped(Case.objects.filter(created_at__gte=start, created_at__lt=end), user, filters)
    # The totals from the cases' day counts (kept by triggers, govservice/rollups.py), not a
    # scan of every case of the period; the few commitments and assistance records below are
    # still joined to their cases.
    days = _scoped(CaseDayCount.objects.filter(day__gte=filters.start, day__lte=filters.end), user, filters)
    if filters.department:
        queryset = queryset.filter(matter_type__department_id=filters.department)
        days = days.filter(matter_type__department_id=filters.department)
    special = Q(is_elderly=True) | Q(is_disabled=True) | Q(is_other_special=True)
    commitment = optional_model("cases", "Commitment")
    material = optional_model("cases", "CaseMaterial")
    figures: dict[str, Aggregate] = {
        "cases_total": Sum("n", default=0),
        "cases_assisted": Sum("n", filter=special, default=0),
    }
    parts: list[tuple[QuerySet, dict[str, Aggregate]]] = [(days, figures)]
    if commitment is not None and material is not None:
        # Counted from the written commitments (one per deficient case), so that the material
        # checks run, and are costed by the planner, per commitment and not per case of the
        # period: costed per case they made PostgreSQL JIT-compile the query (0.5 s at 100 k cases).
        materials = material.objects.filter(case=OuterRef("case_id"))
        commitments = commitment.objects.filter(case__in=queryset.values("id")).annotate(
            still_deferred=Exists(materials.filter(state="deferred")),
            corrected_late=Exists(materials.filter(received_at__date__gt=OuterRef("deadline"))),
        )
        deficient = {
            "cases_deficient": Count("id"),
            "cases_corrected_in_time": Count("id", filter=Q(still_deferred=False, corrected_late=False)),
        }
        parts.append((commitments, deficient))
    assistance = optional_model("cases", "Assistance")
    if assistance is not None and hasattr(assistance, "satisfaction"):
        rated = assistance.objects.filter(case__in=queryset.filter(special).values("id"))
        parts.append(
            (
                rated,
                {
                    "assistance_rated": Count("id", filter=Q(satisfaction__isnull=False)),
                    "assistance_good": Count("id", filter=Q(satisfaction__gte=4)),
                },
            )
        )
    return parts


def _case_figures(
    values: dict[str, int], filters: DashboardFilters, missing: list[str], *, narrowed: dict[str, object]
) -> list[Figure]:
    period = {"from": filters.start, "to": filters.end, **narrowed}
    url = "cases:case-list"
    result = [Figure("cases_total", _("办件量"), values["cases_total"], _url(url, period))]
    if "cases_deficient" in values:
        result += [
            Figure("cases_deficient", _("容缺受理"), values["cases_deficient"], _url(url, {**period, "deficient": 1})),
            Figure(
                "cases_corrected_in_time_rate",
                _("按期补正率(%)"),
                _rate(values["cases_corrected_in_time"], values["cases_deficient"]),
                _url(url, {**period, "deficient": 1}),
            ),
        ]
    else:
        missing.append(_("容缺受理与补正（cases 尚未提供书面承诺）"))
    result.append(
        Figure("cases_assisted", _("帮办代办"), values["cases_assisted"], _url(url, {**period, "assisted": 1}))
    )
    if "assistance_rated" in values:
        result.append(
            Figure(
                "cases_assisted_satisfaction",
                _("帮办代办满意率(%)"),
                _rate(values["assistance_good"], values["assistance_rated"]),
                _url("cases:assistance"),
            )
        )
    else:
        missing.append(_("帮办满意度（cases 尚未提供帮办记录）"))
    return result


def _staff_tiles(user: User, filters: DashboardFilters, centres: dict[int, _Named], missing: list[str]) -> list[Figure]:
    """Tiles that open the staff-development pages (service stars, training) where they exist."""
    own = centres.get(user.centre_id) if user.centre_id else None
    centre_code = filters.centre or (own.code if own else "")
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
