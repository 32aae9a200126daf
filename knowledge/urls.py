from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from . import api, views

app_name = "knowledge"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="search"),
    path("q/<int:question_id>/", views.question_detail, name="question"),
    path("q/<int:question_id>/feedback/", views.question_feedback, name="question-feedback"),
    path("for-matter/<int:matter_type_id>/", views.for_matter_type, name="for-matter"),
    path("for-matter/", views.for_matter_type, name="for-matter-selected"),
    path("manage/", views.manage_list, name="manage"),
    path("manage/new/", views.manage_create, name="manage-create"),
    path("manage/<int:question_id>/", views.manage_detail, name="manage-detail"),
    path("manage/<int:question_id>/edit/", views.manage_edit, name="manage-edit"),
    path("manage/<int:question_id>/transitions/", views.manage_transition, name="manage-transition"),
    path("manage/<int:question_id>/revise/", views.manage_revise, name="manage-revise"),
    path("tasks/<int:task_id>/resolve/", views.task_resolve, name="task-resolve"),
    path("review/", views.review_queue, name="review-queue"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:batch_id>/", views.import_status, name="import-status"),
]

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("knowledge/search/", api.KnowledgeSearchApi.as_view(), name="knowledge-search"),
    path("knowledge/questions/<int:question_id>/", api.QuestionDetailApi.as_view(), name="knowledge-question-detail"),
    path(
        "knowledge/questions/<int:question_id>/feedback/",
        api.QuestionFeedbackApi.as_view(),
        name="knowledge-question-feedback",
    ),
    re_path(r"^knowledge/", api.api_not_found),  # last: unmatched knowledge API paths get the JSON error shape
]
