"""Issue 21 at province scale: the leader dashboard cold over HTTP, the big tables' sizes, and the table of
docs/scaling.md made from the results of `bench/run.py --scale 1m` and `--scale province`.

The dashboard figure (`bench/run.py --scale province --only dashboard_cold`): for a centre's leader and for the
city (province) leader over all centres, the page `/ledger/dashboard/` and its JSON API
`/api/v1/ledger/dashboard/`. Each of these four is measured on a gunicorn started for it (one sync worker,
DEBUG off): its first request (a fresh process: imports warm, no connection, empty caches) and then --requests
requests one after the other, each with a start date no request asked for before, so that every answer is
computed, never read from the dashboard's 60 s cache. PostgreSQL's own buffers and the OS page cache are
shared with the rest of the machine and are not dropped (that would restart the database of every engineer
on it): "cold" here is the application's cache and process, as the harness's dashboard figures always meant.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import stack

# (key, label, the context's session); every request's start date is one day further back than the one before,
# so each is a new filter combination.
VIEWS: list[tuple[str, str, str]] = [
    ("centre", "centre leader, own centre", "leader_session"),
    ("province", "city (province) leader, all centres", "city_leader_session"),
]
PATHS = [("page", "/ledger/dashboard/"), ("api", "/api/v1/ledger/dashboard/")]
TARGET_P95_MS = 300


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) by the nearest-rank rule: the value below which q of the runs fall."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 1))))
    return round(ordered[rank - 1], 1)


def _get(url: str, session: str, *, accept: str) -> tuple[int, float, int]:
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}", "Accept": accept})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback only
        body = response.read()
        status = response.status
    return status, (time.perf_counter() - started) * 1000, len(body)


def measure(env: dict[str, str], *, port: int, logdir: Path, context: dict, requests: int) -> dict[str, Any]:
    """The four cold figures; each on a gunicorn process of its own, stopped after it."""
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"requests": requests, "target_p95_ms": TARGET_P95_MS, "views": {}}
    offset = 0
    for key, label, session_key in VIEWS:
        session = context.get(session_key)
        if not session:
            out["views"][key] = {"skipped": f"no {session_key} in the context (seed with bench/seed.py)"}
            continue
        for kind, path in PATHS:
            accept = "application/json" if kind == "api" else "text/html"
            server = stack.start_gunicorn(env, workers=1, port=port, logdir=logdir)
            try:
                timings, statuses, sizes = [], [], []
                for _request in range(requests + 1):
                    offset += 1
                    start = dt.datetime.now(dt.UTC).date() - timedelta(days=150 + offset)
                    status, ms, size = _get(f"{base}{path}?start={start.isoformat()}", session, accept=accept)
                    statuses.append(status)
                    sizes.append(size)
                    timings.append(ms)
            finally:
                server.stop()
            first, rest = timings[0], timings[1:]
            figure = {
                "label": f"{label}: {kind} {path}",
                "first_request_ms": round(first, 1),
                "p50_ms": percentile(rest, 0.5),
                "p95_ms": percentile(rest, 0.95),
                "max_ms": round(max(rest), 1) if rest else None,
                "mean_ms": round(statistics.mean(rest), 1) if rest else None,
                "statuses": sorted(set(statuses)),
                "bytes": sizes[-1],
                "met": bool(rest) and (percentile(rest, 0.95) or 0) <= TARGET_P95_MS and set(statuses) == {200},
            }
            out["views"][f"{key}_{kind}"] = figure
            stack.log(
                f"dashboard cold {key} {kind}: first {figure['first_request_ms']} ms, p50 {figure['p50_ms']} ms, "
                f"p95 {figure['p95_ms']} ms over {len(rest)} requests, HTTP {figure['statuses']}"
            )
    return out


# The big tables and their day counts; a partitioned table is counted with its partitions (pg_partition_tree).
SIZE_TABLES = [
    "complaints_evaluation",
    "complaints_evaluationevent",
    "complaints_complaint",
    "cases_case",
    "notifications_smsmessage",
    "complaints_evaluationdaycount",
    "complaints_complaintdaycount",
    "cases_casedaycount",
]


def table_sizes(db: str) -> dict[str, dict[str, Any]]:
    """Rows (the planner's estimate after ANALYZE), table and index MiB of each big table, partitions included."""
    sizes: dict[str, dict[str, Any]] = {}
    for table in SIZE_TABLES:
        # The table names are this module's constants. A plain table is its own only leaf (pg_partition_tree
        # lists nothing for a table that is not partitioned).
        rel = f"to_regclass('{table}')"
        sql = (
            "SELECT coalesce(sum(pg_table_size(c.oid)), 0), coalesce(sum(pg_indexes_size(c.oid)), 0), "  # noqa: S608
            "coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint, count(*) FROM pg_class c WHERE c.oid IN ("
            f"SELECT relid FROM pg_partition_tree({rel}) WHERE isleaf "
            f"UNION SELECT {rel} WHERE NOT EXISTS (SELECT 1 FROM pg_partition_tree({rel})))"
        )
        # The row counts are the planner's, fresh: the day-count tables are written by triggers, never analysed.
        analyse = f"ANALYZE {table}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-q", "-c", analyse],
            capture_output=True,
            timeout=600,
            check=False,
        )
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-At", "-F", " ", "-c", sql],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        parts = out.stdout.split()
        if out.returncode != 0 or len(parts) != 4 or parts[3] == "0":
            continue
        table_bytes, index_bytes, rows, count = (int(x) for x in parts)
        sizes[table] = {
            "rows": rows,
            "table_mib": round(table_bytes / 2**20, 1),
            "index_mib": round(index_bytes / 2**20, 1),
            "total_mib": round((table_bytes + index_bytes) / 2**20, 1),
            "partitions": count,
        }
    return sizes


# --- the table of docs/scaling.md ------------------------------------------------------------------------------

START, END = "<!-- scale:generated:start -->", "<!-- scale:generated:end -->"


def _load(results: Path, scale: str, name: str) -> dict[str, Any]:
    path = results / f"scale-{scale}" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _med(figure: dict[str, Any], *keys: str) -> Any:
    value: Any = figure
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    return value


def table_markdown(results: Path, scales: tuple[str, ...] = ("1m", "province")) -> str:
    """The measured figures side by side, one column per scale ("—": that part was not run at that scale)."""
    data = {
        s: {
            n: _load(results, s, n)
            for n in ("meta", "dashboard_cold", "intake_post", "intake_post_throttled", "export")
        }
        for s in scales
    }
    data_scoring = {s: _load(results, s, "scoring_run") for s in scales}
    sizes = {s: data[s]["meta"].get("table_sizes", {}) for s in scales}

    def cell(value: Any, unit: str = "") -> str:
        return "—" if value is None or value == "" else f"{value}{unit}"

    header = "| figure | target | " + " | ".join(_scale_title(data[s]["meta"], s) for s in scales) + " |"
    rows = [header, "|---|---|" + "---|" * len(scales)]

    def row(label: str, target: str, values: list[str]) -> None:
        rows.append(f"| {label} | {target} | " + " | ".join(values) + " |")

    row("seeded (evaluations / complaints / cases / staff / centres)", "", [_seeded(data[s]["meta"]) for s in scales])
    row("seeding time (of this run's seed step)", "", [cell(data[s]["meta"].get("seed_seconds"), " s") for s in scales])
    for key, label in (
        ("centre_page", "dashboard page, centre leader"),
        ("centre_api", "dashboard API, centre leader"),
        ("province_page", "dashboard page, province (all centres)"),
        ("province_api", "dashboard API, province (all centres)"),
    ):
        values = []
        for s in scales:
            f = _med(data[s]["dashboard_cold"], "views", key) or {}
            values.append(
                f"p50 {f['p50_ms']} / **p95 {f['p95_ms']}** ms (first request {f['first_request_ms']} ms)"
                if f.get("p95_ms") is not None
                else "—"
            )
        row(f"{label}, cold", "p95 ≤ 300 ms", values)
    intake, throttled = [], []
    for s in scales:
        f = data[s]["intake_post"]
        intake.append(
            f"{_med(f, 'rps', 'median')} req/s; ratio **{_med(f, 'ratio', 'median')}** × the bare view with the same "
            f"writes; p99 {_med(f, 'p99_ms', 'median')} ms; non-2xx {f.get('non2xx')}"
            if f
            else "—"
        )
        t = data[s]["intake_post_throttled"]
        throttled.append(
            f"{_med(t, 'rps', 'median')} req/s; ratio **{_med(t, 'ratio', 'median')}** × without; "
            f"p99 {_med(t, 'p99_ms', 'median')} ms; non-2xx {t.get('non2xx')}"
            if t
            else "—"
        )
    row("channel intake POST of an evaluation, throttle off", "≥ 0.6 × the bare view; p99 ≤ 150 ms", intake)
    row("the same with throttling on (`/api/v1/intake/evaluations/`)", "≥ 0.8 × without", throttled)
    export = []
    for s in scales:
        runs = data[s]["export"].get("runs") or []
        full = runs[-1] if runs else {}
        export.append(
            f"peak RSS **{full.get('peak_rss_mib')} MiB** at {full.get('rows'):,} rows ({full.get('rows_per_second')} rows/s)"
            if full
            else "—"
        )
    row("background export of the SMS outbox", "peak RSS ≤ 200 MiB at 1 M rows", export)
    scoring = []
    for s in scales:
        f = data_scoring[s]
        scoring.append(
            f"{_med(f, 'seconds_stats', 'median')} s ({f.get('staff')} staff, {f.get('evaluations_in_month')} evaluations in the month)"
            if f.get("seconds_stats")
            else ("—" if not f else f"not measured: {json.dumps(f)[:120]}")
        )
    row("monthly service-star scoring (the `scoring` part)", "5,000 staff ≤ 10 s", scoring)
    for table in SIZE_TABLES:
        values = []
        for s in scales:
            t = sizes[s].get(table)
            values.append(
                f"{t['rows']:,} rows; table {t['table_mib']} MiB + indexes {t['index_mib']} MiB"
                + (f" ({t['partitions']} partitions)" if t["partitions"] > 1 else "")
                if t
                else "—"
            )
        row(f"`{table}`", "", values)
    return "\n".join(rows)


TITLES = {"1m": "1 M evaluations", "province": "10 M evaluations (province)"}


def _scale_title(meta: dict[str, Any], scale: str) -> str:
    scale = TITLES.get(scale, scale)
    if not meta:
        return f"{scale} (not run)"
    load = meta.get("load_average_at_start") or []
    return f"{scale} ({meta.get('date', '?')[:16]}, load {', '.join(str(round(x, 1)) for x in load[:3])})"


def _seeded(meta: dict[str, Any]) -> str:
    sizes = meta.get("sizes") or {}
    if not sizes:
        return "—"
    return " / ".join(
        f"{sizes.get(k):,}" if isinstance(sizes.get(k), int) else "?"
        for k in ("evaluations", "complaints", "cases", "window_staff", "centres")
    )


def write_doc(results: Path, doc: Path) -> None:
    """Replace the generated table of docs/scaling.md (between its markers) with the current results."""
    if not doc.exists():
        return
    text = doc.read_text()
    if START not in text or END not in text:
        return
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n\n{table_markdown(results)}\n\n{END}{tail}")
