"""The leaders' figures: dataclasses from a bounded number of aggregate queries (never per-row loops).

Every other app is read through its selectors.py. The modules split the figures by domain
(ledger, feedback, cases); `build` puts the dashboard together and caches it.
"""

from __future__ import annotations

from .build import dashboard_for
from .cache import CACHE_SECONDS, dashboard_cached_for
from .types import Choice, Dashboard, DashboardFilters, Figure, LedgerRow, MonthCounts, Satisfaction, Share

__all__ = [
    "CACHE_SECONDS",
    "Choice",
    "Dashboard",
    "DashboardFilters",
    "Figure",
    "LedgerRow",
    "MonthCounts",
    "Satisfaction",
    "Share",
    "dashboard_cached_for",
    "dashboard_for",
]
