from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import calendar_views, views
from .exports import views as export_views
from .login_limits import AddressLimitedLoginView
from .schema import CHANNEL_SCHEMA_SETTINGS
from .signout import SignOutView

admin.site.site_header = "govservice"
admin.site.site_title = "govservice"

# Each app's urls.py holds `urlpatterns` (screens) and may hold `api_urlpatterns`
# (mounted under /api/v1/).
APPS_WITH_SCREENS = {
    "staff": "",
    "cases": "cases/",
    "complaints": "feedback/",
    "rectification": "ledger/",
    "notifications": "notifications/",
    "knowledge": "knowledge/",
    "intake": "",  # its own paths: /open311/v2/..., /feedback-status/...
    "development": "",  # /scores/..., /training/..., /mentors/..., /role-swap/..., /board/...; namespace "staff"
    "dashboard": "",  # /ledger/dashboard/ beside the ledger it reports on, and /dashboard/inbox/
}


def _api_patterns() -> list:
    from importlib import import_module

    patterns: list = []
    # The channel API (intake: the partners' machines, the most requests) is tried first; the apps' API paths
    # never overlap, so the order is for speed only (tests/govservice/test_url_order.py).
    for app_label in sorted(APPS_WITH_SCREENS, key=lambda app: app != "intake"):
        module = import_module(f"{app_label}.urls")
        patterns += getattr(module, "api_urlpatterns", [])
    return patterns


handler400 = "govservice.views.bad_request"
handler403 = "govservice.views.permission_denied"
handler404 = "govservice.views.page_not_found"
handler500 = "govservice.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The working calendar's and the organisation units' admin pages moved with their
    # models from staff to govservice; old bookmarks keep working.
    re_path(
        r"^admin/staff/(?P<model>workcalendarday|workcalendaryear|centre|department)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/govservice/%(model)s/%(rest)s", query_string=True, permanent=True),
    ),
    # The working calendar, a year at a time (centre and city administrators).
    path("calendar/", calendar_views.calendar_years, name="calendar-years"),
    path("calendar/<int:year>/", calendar_views.calendar_year_edit, name="calendar-year"),
    path("calendar/changes/<int:pk>/", calendar_views.calendar_change, name="calendar-change"),
    # Browsers ask for /favicon.ico on pages that name no icon (Django's admin): the site's own icon, not a 404.
    path("favicon.ico", views.favicon),
    # Exports made in the background (govservice/exports): ask, watch, download; the person's own only.
    path("exports/", export_views.export_list, name="exports"),
    path("exports/new/", export_views.export_new, name="export-new"),
    path("exports/<int:job_id>/", export_views.export_detail, name="export-detail"),
    path("exports/<int:job_id>/file/", export_views.export_file, name="export-file"),
    path("admin/", admin.site.urls),
    # Django's login view, refusing an address past its failed-login limit (govservice/login_limits.py).
    path("accounts/login/", AddressLimitedLoginView.as_view(), name="login"),
    # Django's logout, going on to the identity platform's end_session endpoint after a single sign-on.
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The whole API's schema and docs describe the staff API: for signed-in staff only. The channels' part
    # (the intake API and Open311) is public, for partners who hold a key but no login.
    path("api/schema/", login_required(SpectacularAPIView.as_view()), name="api-schema"),
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api-schema")), name="api-docs"),
    path(
        "api/schema/channels/",
        SpectacularAPIView.as_view(custom_settings=CHANNEL_SCHEMA_SETTINGS),
        name="api-schema-channels",
    ),
    path(
        "api/docs/channels/",
        SpectacularSwaggerView.as_view(url_name="api-schema-channels"),
        name="api-docs-channels",
    ),
    path("api/v1/", include((_api_patterns(), "api"), namespace="api")),
]
# The apps with a prefix of their own first; those mounted at "" (their paths inside, e.g. /open311/…) last: a
# path with a prefix of its own is then never tried against all of their patterns (each "" group that fails costs
# a Resolver404 and its list of tried patterns). No two groups match one path, so the order changes which view
# answers nothing (tests/govservice/test_url_order.py); it changes how long the look-up takes.
urlpatterns += [path(prefix, include(f"{app}.urls")) for app, prefix in APPS_WITH_SCREENS.items() if prefix]
# The ledger's public commitment board (承诺公示): anonymous, beside the star board at /board/<centre>/.
urlpatterns += [path("board/<slug:centre_code>/commitments/", include("rectification.board_urls"))]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Benchmark baselines (bench/urls.py): bare ORM views for `make bench` only, never in production.
if settings.BENCH_BASELINE:
    urlpatterns += [path("bench/", include("bench.urls"))]

urlpatterns += [path("", include(f"{app}.urls")) for app, prefix in APPS_WITH_SCREENS.items() if not prefix]
