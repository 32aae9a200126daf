from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import api, board_views, recurrence_views, roundtrip_views, views

app_name = "rectification"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.ledger_list, name="ledger"),
    path("measures/", views.measure_list, name="measure-list"),
    path("new/", views.problem_create, name="problem-create"),
    path("ledger.pdf", views.ledger_pdf, name="ledger-pdf"),
    path("print/", views.ledger_print, name="ledger-print"),
    path("import/", views.ledger_import, name="ledger-import"),
    path("import/<int:pk>/", views.ledger_import_status, name="ledger-import-status"),
    path("problems/<int:pk>/", views.problem_detail, name="problem-detail"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem-edit"),
    path("problems/<int:pk>/dossier.pdf", views.problem_pdf, name="problem-pdf"),
    path("problems/<int:pk>/transitions/", views.problem_transition, name="problem-transition"),
    path("problems/<int:pk>/public/", board_views.problem_publish, name="problem-publish"),
    path("problems/<int:pk>/recheck/", views.problem_recheck, name="problem-recheck"),
    path("problems/<int:pk>/measures/", views.measure_create, name="measure-create"),
    path("measures/<int:measure_id>/progress/", views.progress_create, name="progress-create"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path(
        "problems/<int:pk>/recurrence/<int:suggestion_id>/<str:decision>/",
        recurrence_views.recurrence_decide,
        name="recurrence-decide",
    ),
    path("import/<int:pk>/apply/", roundtrip_views.ledger_import_apply, name="ledger-import-apply"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("ledger/problems/", api.ProblemListApi.as_view(), name="ledger-problem-list"),
    path("ledger/problems/<int:pk>/", api.ProblemDetailApi.as_view(), name="ledger-problem-detail"),
    path("ledger/problems/<int:pk>/transitions/", api.ProblemTransitionApi.as_view(), name="ledger-problem-transition"),
    path("ledger/measures/<int:pk>/progress/", api.ProgressUpdateCreateApi.as_view(), name="ledger-progress-create"),
]
