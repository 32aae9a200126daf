from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import sso, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("work/mine/", views.my_work, name="my-work"),
    path("people/", views.people, name="people"),
    path("people/<int:person_id>/", views.person, name="person"),
    path("people/<int:person_id>/work/", views.person_work, name="person-work"),
    path("people/<int:person_id>/deactivate/", views.person_deactivate, name="person-deactivate"),
    # Single sign-on through the unified identity platform (staff/sso.py); 404 while OIDC_ENABLED is off.
    path("oidc/authenticate/", sso.SsoStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso.SsoCallbackView.as_view(), name="oidc_authentication_callback"),
]
