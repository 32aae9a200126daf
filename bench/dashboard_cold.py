"""The leader dashboard computed cold, in-process: `dashboard_for` timed with no cache, several runs.

Run against the bench database (seeded by bench/run.py), with the bench's settings:

    BENCH_DB=govservice_bench python bench/dashboard_cold.py --runs 7 [--explain]

Prints, per user and filter set, min / median / max seconds over the runs and the time of each
query of the last run; --explain adds PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of each query.
No lock needed: no server, no load generator.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import stack_env  # noqa: E402

os.environ.update(stack_env(db=os.environ.get("BENCH_DB", "govservice_bench"), var_dir=ROOT / "var" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import translation  # noqa: E402

from dashboard.figures import DashboardFilters, dashboard_for  # noqa: E402
from govservice.models import Department  # noqa: E402
from staff.models import User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    leader = User.objects.get(username="city-leader1")
    city = User.objects.get(username="cityleader")
    department = (
        Department.objects.filter(centre_id=leader.centre_id).order_by("id").first() if leader.centre_id else None
    )
    if department is None:
        raise SystemExit("city-leader1 has no centre with a department: seed the bench data first (bench/seed.py)")
    cases = [
        ("centre leader, default period", leader, {}),
        ("centre leader, one department", leader, {"department": str(department.id)}),
        ("centre leader, 2 weeks across a month end", leader, {"start": "2026-10-20", "end": "2026-11-03"}),
        ("city leader, all centres", city, {}),
        ("city leader, one centre", city, {"centre": "city"}),
    ]
    out = []
    translation.activate("zh-hans")
    for label, user, query in cases:
        user.is_city_wide  # noqa: B018 - the roles, loaded once per request by the middleware
        filters = DashboardFilters.from_query(query)
        seconds = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                dashboard_for(user=user, filters=filters)
                seconds.append(time.perf_counter() - started)
        queries = [(float(q["time"]), q["sql"]) for q in ctx.captured_queries]
        row = {
            "case": label,
            "runs": args.runs,
            "seconds": [round(min(seconds), 3), round(statistics.median(seconds), 3), round(max(seconds), 3)],
            "queries": len(queries),
            "query_seconds": [round(t, 3) for t, _sql in queries],
        }
        out.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        if args.explain:
            for t, sql in queries:
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = "\n".join(r[0] for r in cursor.fetchall())
                print(f"--- {t:.3f} s: {sql[:300]}\n{plan}\n", flush=True)


if __name__ == "__main__":
    main()
