"""Baseline views for `make bench`; included by govservice/urls.py only when BENCH_BASELINE=1.

`insert/` is the plain reference project's view itself (bench/reference/rows/views.py: parse the JSON, insert one
small `rows_row` row, answer its id), served here through the project's whole stack: against the reference
project serving the same view, the ratio is the stack's cost alone. `insert-evaluation/` inserts the evaluation
the channel intake inserts (30 columns, a rollup trigger, 7 index entries): the table's cost on top.
"""

from __future__ import annotations

from django.urls import path

from . import baseline
from .reference.rows import views as reference_views

urlpatterns = [
    path("insert/", reference_views.insert, name="bench-insert"),
    path("insert-evaluation/", baseline.insert_evaluation, name="bench-insert-evaluation"),
    path("insert-same-work/", baseline.insert_same_work, name="bench-insert-same-work"),
    path("cases/", baseline.case_list, name="bench-case-list"),
    path("cases/<uuid:public_id>/", baseline.case_detail, name="bench-case-detail"),
    path("dashboard/", baseline.dashboard, name="bench-dashboard"),
    path("queue-insert/", baseline.queue_insert, name="bench-queue-insert"),
    path("intake-nothrottle/", baseline.EvaluationCreateNoThrottle.as_view(), name="bench-intake-nothrottle"),
]
