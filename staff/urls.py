from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import development_api, development_urls, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    # Staff development (scores, training, mentors, role-swap) under the "staff" namespace.
    path("", include((development_urls.urlpatterns, "staff"), namespace="staff")),
]
api_urlpatterns: list[URLPattern | URLResolver] = [*development_api.api_urlpatterns]
