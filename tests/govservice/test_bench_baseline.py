"""The bench's one-INSERT baseline is the plain reference project's own view and row, mounted only for `make bench`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]


def test_without_bench_baseline_there_is_no_bench_url_and_no_reference_table():
    assert not apps.is_installed("bench.reference.rows")
    with pytest.raises(Resolver404):
        resolve("/bench/insert/")


def test_under_bench_baseline_the_baseline_is_the_reference_view_on_the_reference_table():
    code = (
        "import json, django; django.setup()\n"
        "from django.apps import apps\n"
        "from django.urls import resolve\n"
        "from bench.reference.rows import views\n"
        "row = apps.get_model('rows', 'Row')\n"
        "print(json.dumps({'same_view': resolve('/bench/insert/').func is views.insert,\n"
        "  'table': row._meta.db_table,\n"
        "  'evaluation': resolve('/bench/insert-evaluation/').func.__name__}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(BENCH_BASELINE="1", DJANGO_SETTINGS_MODULE="tests.settings")
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"same_view": True, "table": "rows_row", "evaluation": "insert_evaluation"}
