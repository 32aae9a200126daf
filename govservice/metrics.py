"""One definition per figure: the metrics registry.

A figure shown anywhere (a menu badge, a home note, a dashboard tile, the feedback overview, an
export, the API) is a `Metric` registered here by the app that owns its rows, in that app's
`metrics.py`, from its AppConfig.ready(). Every screen asks the registry, so one name is one number
for the person looking, and the list a figure links to (`?metric=<name>`) shows exactly the rows
it counts (`rows_for_list`).

Names: `complaints_open`; a category: `complaints_open.attitude` (registered by the owner); a
centre: `complaints_open@<centre code>` (derived here from the metric's centre field).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    User = AbstractBaseUser | AnonymousUser

# What period a figure covers, said next to it.
NOW = "now"
THIS_MONTH = "month"
ALL_TIME = "all"
NEXT_14_DAYS = "14d"
PERIODS: dict[str, Promise] = {
    NOW: _("当前"),
    NEXT_14_DAYS: _("今后 14 天"),
    THIS_MONTH: _("本月"),
    ALL_TIME: _("全部时间"),
}

Rows = QuerySet[Any] | Sequence[Any]


@dataclass(frozen=True)
class Metric:
    """A figure: what it counts, over which period, for whom, and which list shows those rows."""

    name: str
    label: str | Promise  # a sentence saying what is counted
    period: str  # NOW, THIS_MONTH, ALL_TIME, or a date range written out ("2026-01-01 – 2026-06-30")
    rows: Callable[[Any], Rows]  # the rows that make up the figure, scoped by the user's access
    list_url: str  # URL name of the list that shows exactly those rows (with ?metric=<name>)
    centre_field: str = "centre"  # for `name@<centre code>`; "" when the rows have no centre
    # A rate over the rows (satisfaction); None: the figure is the number of rows.
    compute: Callable[[Rows], float | int | None] | None = None
    unit: str = ""
    centre: str = ""  # set on a per-centre copy (`name@code`)
    by_centre: Callable[[Rows, str], Rows] | None = None  # narrowing of non-queryset rows to one centre

    @property
    def period_label(self) -> str:
        return str(PERIODS.get(self.period, self.period))

    def queryset(self, user: Any) -> Rows:
        rows = self.rows(user)
        if self.centre:
            if self.by_centre is not None:
                return self.by_centre(rows, self.centre)
            if isinstance(rows, QuerySet) and self.centre_field:
                return rows.filter(**{f"{self.centre_field}__code": self.centre})
        return rows

    def count_rows(self, user: Any) -> int:
        rows = self.queryset(user)
        return rows.count() if isinstance(rows, QuerySet) else len(rows)

    def value(self, user: Any) -> float | int | None:
        cache = _request_cache(user)
        if self.name not in cache:
            rows = self.queryset(user)
            if self.compute is not None:
                cache[self.name] = self.compute(rows)
            else:
                cache[self.name] = rows.count() if isinstance(rows, QuerySet) else len(rows)
        return cache[self.name]

    @property
    def url(self) -> str:
        return f"{reverse(self.list_url)}?{urlencode({'metric': self.name})}"

    def for_centre(self, code: str) -> Metric:
        return replace(self, name=f"{self.name}@{code}", centre=code)


_registry: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if "@" in metric.name:
        raise ValueError(f"a centre suffix is derived, not registered: {metric.name}")
    _registry[metric.name] = metric  # one definition per name: a second registration replaces the first
    return metric


def get(name: str) -> Metric:
    """The metric of that name; `name@<centre code>` is the same figure for one centre. KeyError if unknown."""
    base, _sep, centre = name.partition("@")
    metric = _registry[base]
    return metric.for_centre(centre) if centre else metric


def names() -> list[str]:
    return sorted(_registry)


def value(name: str, user: Any) -> float | int | None:
    return get(name).value(user)


def _request_cache(user: Any) -> dict[str, float | int | None]:
    """One value per name for the user looking, in the life of this user object (a request).

    A badge and a tile of the same page read the same number even if a row changes between the two.
    """
    cache = getattr(user, "_metric_values", None)
    if cache is None:
        cache = {}
        try:
            user._metric_values = cache
        except AttributeError:  # an object that takes no attributes: compute each time
            return {}
    return cache


def forget_values(user: Any) -> None:
    """Drop the values computed for this user object (tests, a long-lived object)."""
    if hasattr(user, "_metric_values"):
        del user._metric_values


def requested(params: Any) -> Metric | None:
    """The metric a list was asked to show (`?metric=<name>`), None when none; unknown names are 404."""
    name = params.get("metric", "") if params is not None else ""
    if not name:
        return None
    try:
        return get(str(name))
    except KeyError as exc:
        raise Http404 from exc


def rows_for_list(params: Any, queryset: QuerySet[Any], user: Any) -> tuple[QuerySet[Any], Metric | None]:
    """A list narrowed to the rows of the requested metric (if any): the same rows the figure counts.

    The list's own scoping stays: the metric's rows are the user's rows too, so nothing is widened.
    """
    metric = requested(params)
    if metric is None:
        return queryset, None
    rows = metric.queryset(user)
    if not isinstance(rows, QuerySet) or rows.model is not queryset.model:
        raise Http404
    return queryset.filter(pk__in=rows.order_by().values("pk")), metric
