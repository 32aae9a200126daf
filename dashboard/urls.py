from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, digest_views, views
from .inbox import views as inbox_views

# Mounted at the root (govservice/urls.py): the dashboard stays at /ledger/dashboard/ beside the ledger it
# reports on, the inbox is /dashboard/inbox/.
app_name = "dashboard"

urlpatterns: list[URLPattern | URLResolver] = [
    path("ledger/dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/inbox/", inbox_views.inbox, name="inbox"),
    path("dashboard/inbox/badge/", inbox_views.inbox_badge, name="inbox-badge"),
    path("dashboard/inbox/<str:kind>/<int:pk>/", inbox_views.inbox_decide, name="inbox-decide"),
    path("ledger/dashboard/digest/", digest_views.digest_page, name="digest"),
    path("ledger/dashboard/digest.pdf", digest_views.digest_pdf_view, name="digest-pdf"),
    path("ledger/dashboard/digest/email/", digest_views.digest_subscription, name="digest-subscription"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("ledger/dashboard/", api.DashboardApi.as_view(), name="ledger-dashboard"),
    path("metrics/", api.MetricListApi.as_view(), name="metric-list"),
]
