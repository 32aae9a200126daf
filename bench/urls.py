"""Baseline views for `make bench`; included by govservice/urls.py only when BENCH_BASELINE=1."""

from __future__ import annotations

from django.urls import path

from . import baseline

urlpatterns = [
    path("insert/", baseline.insert, name="bench-insert"),
    path("insert-same-work/", baseline.insert_same_work, name="bench-insert-same-work"),
    path("cases/", baseline.case_list, name="bench-case-list"),
    path("cases/<uuid:public_id>/", baseline.case_detail, name="bench-case-detail"),
    path("dashboard/", baseline.dashboard, name="bench-dashboard"),
    path("queue-insert/", baseline.queue_insert, name="bench-queue-insert"),
    path("intake-nothrottle/", baseline.EvaluationCreateNoThrottle.as_view(), name="bench-intake-nothrottle"),
]
