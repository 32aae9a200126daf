"""A URLconf with only the core and the cases app, used while another app's urls.py does not import.

The fixture in conftest.py falls back to it only then; normally the real one is used.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from cases import urls as cases_urls
from govservice import views
from staff import views as staff_views

urlpatterns = [
    path("", staff_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include((cases_urls.api_urlpatterns, "api"), namespace="api")),
    path("cases/", include("cases.urls")),
]
