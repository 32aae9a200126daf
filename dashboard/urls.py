from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, digest_views, views

# Mounted under "ledger/" (govservice/urls.py): the page stays at /ledger/dashboard/.
app_name = "dashboard"

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/digest/", digest_views.digest_page, name="digest"),
    path("dashboard/digest.pdf", digest_views.digest_pdf_view, name="digest-pdf"),
    path("dashboard/digest/email/", digest_views.digest_subscription, name="digest-subscription"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("ledger/dashboard/", api.DashboardApi.as_view(), name="ledger-dashboard"),
]
