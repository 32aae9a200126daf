"""The plain reference project's `rows` app (bench/reference/rows), installed into the project under
BENCH_BASELINE=1 only, so that the project's one-INSERT baseline view (`/bench/insert/`) is the reference's
own view on the reference's own table, served through the project's whole stack (settings, URL
resolution, every middleware, the database settings): the ratio between the two measures the stack alone.
"""

from __future__ import annotations

from django.apps import AppConfig


class ReferenceRowsConfig(AppConfig):
    # Imported here as bench.reference.rows; the label (and so the table, `rows_row`, and the migration
    # names) is the reference project's own.
    name = "bench.reference.rows"
    label = "rows"
    verbose_name = "bench reference rows"
    default_auto_field = "django.db.models.BigAutoField"
