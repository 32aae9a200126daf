"""What every figure uses: links to the lists, scoping, rates, month buckets, one-row counts, names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import Aggregate, Case, CharField, Count, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from complaints import selectors as complaints_selectors
from govservice import access
from staff.models import User
from staff.selectors import centre_list_for, department_list_for, scope_to_user, window_list_by_ids

from .types import DashboardFilters, _Named


def _reverse(name: str, args: tuple[object, ...] = ()) -> str:
    """`reverse(name, args)`, "" when it does not resolve; remembered per URL configuration and script prefix.

    A province's dashboard links every window (2,000) and every cell of the city table (1,300): reversing each
    took about a third of its time. The answer depends only on the name, the arguments, the URL configuration
    and the script prefix, which are all in the key.
    """
    key = (name, args, get_script_prefix(), get_urlconf())
    found = _REVERSED.get(key)
    if found is None:
        try:
            found = reverse(name, args=args or None)
        except NoReverseMatch:
            found = ""
        if len(_REVERSED) > 1000:  # bounded: names × the few centre codes of the star board
            _REVERSED.clear()
        _REVERSED[key] = found
    return found


_REVERSED: dict[tuple[object, ...], str] = {}


def _url(name: str, query: Mapping[str, object] | None = None, *args: object) -> str:
    base = _reverse(name, tuple(args))
    if not base:
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
    narrowed: dict[str, object] = {"centre": filters.centre if access.is_city_wide(user) else ""}
    if department:
        narrowed["department"] = filters.department or ""
    return narrowed


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# Kept (docs/private-api.md #10): the private Query.sql_with_params() and connection.ops, for the leader
# dashboard's "≤ 12 queries" figure of docs/benchmarks.md (one aggregate() per table: 7 statements, not 1).
@dataclass(frozen=True)
class Pivot:
    """Rows counted by one key, spread over named columns: `columns[alias] = key value` (0 when no row has it).

    The same numbers as one `Count("pk", filter=Q(**{key: value}))` per column, but the rows are grouped once
    (`GROUP BY key`) and the few groups are spread in SQL: the city's per-centre table has 13 figures × every
    centre (1,300 columns for a province), and as filtered counts the ORM compiled 1,300 expressions per request
    and the database tested every row against each centre.
    """

    queryset: QuerySet
    key: str  # a field path of the rows, e.g. "centre__code"
    columns: dict[str, object]


def _pivot_sql(pivot: Pivot, db: str) -> tuple[str, list[Any]]:
    grouped = (
        pivot.queryset.order_by()
        .values(pivot_key=F(pivot.key))
        .annotate(pivot_n=Count("pk"))
        .values("pivot_key", "pivot_n")
    )
    quote = connections[db].ops.quote_name
    try:
        sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:  # out of scope (`.none()`): nothing to count
        return "SELECT " + ", ".join(f"0 AS {quote(alias)}" for alias in pivot.columns), []
    spread = ", ".join(
        f"COALESCE(SUM(CASE WHEN g.pivot_key = %s THEN g.pivot_n ELSE 0 END), 0) AS {quote(alias)}"
        for alias in pivot.columns
    )
    return f"SELECT {spread} FROM ({sql}) AS g", [*pivot.columns.values(), *params]  # noqa: S608


def _single_rows(*parts: tuple[QuerySet, dict[str, Aggregate]], pivots: Sequence[Pivot] = ()) -> dict[str, Any]:
    """Whole-queryset counts over several tables in one round trip.

    Each part is what `queryset.aggregate(**aggregates)` would run (no GROUP BY, so exactly
    one row); the rows are cross-joined: `SELECT * FROM (q1) AS p0 CROSS JOIN (q2) AS p1 ...`.
    The SQL of each part is the ORM's own, with its parameters passed separately. Each pivot adds
    its columns the same way (one row of grouped counts, see `Pivot`).
    """
    tables, params = [], []
    names: list[str] = []
    for j, pivot in enumerate(pivots):
        sql, pivot_params = _pivot_sql(pivot, parts[0][0].db if parts else pivot.queryset.db)
        tables.append(f"({sql}) AS v{j}")
        params.extend(pivot_params)
        names.extend(pivot.columns)
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
    # The database the router reads these tables from (the replica inside `use_replica()`); the SQL compiled for
    # the primary is valid there: a streaming replica runs the same PostgreSQL.
    with connections[parts[0][0].db if parts else pivots[0].queryset.db].cursor() as cursor:
        # Only the ORM's compiled SQL and fixed aliases are joined here; values stay parameters.
        cursor.execute("SELECT * FROM " + " CROSS JOIN ".join(tables), params)  # noqa: S608
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


def _names(*, user: User, windows: set[int], channels: set[int]) -> dict[str, dict[int, _Named]]:
    """Codes and names of the given windows and channels, and of the centres and departments in scope, in one query.

    The aggregates group by integer ids (a hash aggregate, no wide sort); the few names
    they need are read here, from the small reference tables, by id.
    """
    text, number = CharField(), IntegerField()

    def part(queryset: QuerySet, kind: str, parent: str | None = None) -> QuerySet:
        # A typed NULL: PostgreSQL types two untyped NULLs of a UNION as text, which then fails
        # against the departments' integer centre_id when no window part comes first (a period
        # whose evaluations have no window).
        return queryset.order_by().values_list(
            Value(kind, output_field=text), "id", "code", "name", F(parent) if parent else Cast(Value(None), number)
        )

    parts = [
        part(window_list_by_ids(ids=windows), "window", "centre_id"),
        part(complaints_selectors.channel_list_by_ids(ids=channels), "channel"),
        part(centre_list_for(user=user), "centre"),
        part(department_list_for(user=user), "department", "centre_id"),
    ]
    found: dict[str, dict[int, _Named]] = {"window": {}, "channel": {}, "centre": {}, "department": {}}
    for kind, pk, code, name, parent in parts[0].union(*parts[1:], all=True).order_by():
        found[kind][pk] = _Named(code, name, parent)
    return found


def _scoped(queryset: QuerySet, user: User, filters: DashboardFilters, centre_field: str = "centre") -> QuerySet:
    queryset = scope_to_user(queryset, user, centre_field=centre_field)
    if filters.centre and access.is_city_wide(user):
        queryset = queryset.filter(**{f"{centre_field}__code": filters.centre})
    return queryset


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
