from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, views

# Mounted under "ledger/" (govservice/urls.py): the page stays at /ledger/dashboard/.
app_name = "dashboard"

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", views.dashboard, name="dashboard"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("ledger/dashboard/", api.DashboardApi.as_view(), name="ledger-dashboard"),
    path("metrics/", api.MetricListApi.as_view(), name="metric-list"),
]
