"""Development's screens and API. The screens keep the "staff" URL namespace they had before the app
was split out of staff, so every route name ({% url "staff:my-score" %}, ...) stays the same."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import api, views, views_talks

_screens: list[URLPattern] = [
    path("scores/", views.my_score, name="my-score"),
    path("scores/appeal/", views.score_appeal, name="score-appeal"),
    path("scores/centre/", views.score_months, name="score-months"),
    path("scores/centre/<str:month>/", views.score_month, name="score-month"),
    path("scores/centre/<str:month>/status/", views.score_status, name="score-status"),
    path("scores/centre/<str:month>/run/", views.score_run, name="score-run"),
    path("scores/centre/<str:month>/lock/", views.score_lock, name="score-lock"),
    path("scores/appeals/<int:appeal_id>/decide/", views.score_appeal_decide, name="score-appeal-decide"),
    path("scores/follow-ups/<int:follow_up_id>/complete/", views.follow_up_complete, name="follow-up-complete"),
    path("scores/inputs/", views.score_inputs, name="score-inputs"),
    path(
        "scores/reminder-talks/<int:talk_id>/record/",
        views_talks.reminder_talk_record,
        name="reminder-talk-record",
    ),
    path("board/<slug:centre_code>/", views.star_board, name="star-board"),
    path("training/", views.training, name="training"),
    path("training/sessions/<int:session_id>/", views.training_session, name="training-session"),
    path(
        "training/enrolments/<int:enrolment_id>/session/",
        views_talks.training_enrolment_assign,
        name="training-enrolment-assign",
    ),
    path("mentors/", views.mentors, name="mentors"),
    path("mentors/<int:pairing_id>/duties/", views.mentor_duty, name="mentor-duty"),
    path("role-swap/", views.role_swap, name="role-swap"),
    path("role-swap/<int:plan_id>/report/", views.role_swap_report, name="role-swap-report"),
    path("role-swap/findings/<int:finding_id>/to-ledger/", views.role_swap_to_ledger, name="role-swap-to-ledger"),
]

urlpatterns: list[URLPattern | URLResolver] = [path("", include((_screens, "staff"), namespace="staff"))]
api_urlpatterns: list[URLPattern | URLResolver] = [*api.api_urlpatterns]
