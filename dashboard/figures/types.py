"""The dashboard's figures as dataclasses: what the page, the API and the cache carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class DashboardFilters:
    start: date
    end: date
    department: int | None = None
    centre: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str], today: date | None = None) -> DashboardFilters:
        get = params.get
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
    metric: str = ""  # the registry's name of the figure (govservice.metrics), when it comes from there
    period: str = ""  # the period it covers, said next to it


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
class CentreFigures:
    """One centre's row of the city table: the same figures as the tiles, each linking to the centre's rows."""

    code: str
    name: str
    figures: list[Figure]


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
    by_category: list[Figure] = field(default_factory=list)  # open complaints by category, unclassified last
    centre_table: list[CentreFigures] = field(default_factory=list)  # city level: the same figures per centre
    centre_columns: list[Figure] = field(default_factory=list)  # the table's columns (label, period, metric)
    department_choices: list[Choice] = field(default_factory=list)
    centre_choices: list[Choice] = field(default_factory=list)
    computed_at: datetime | None = None  # the figures may come from a cache: shown on the page


@dataclass(frozen=True)
class _Named:
    code: str
    name: str
    parent: int | None  # the centre of a window or department
