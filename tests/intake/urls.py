"""The project's URL layout for intake only, so these tests do not depend on other apps' URL modules.

Same prefixes as govservice/urls.py: the API under /api/v1/ in the "api" namespace,
the app's own paths at "", the schema at /api/schema/.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from intake import urls as intake_urls

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include((intake_urls.api_urlpatterns, "api"), namespace="api")),
    path("", include("intake.urls")),
]
