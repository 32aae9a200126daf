"""The leader dashboard API under wrk: computed cold on every request, from its cache, the bare aggregates.

    BENCH_DB=govservice_bench BENCH_PORT=8765 BENCH_REDIS_DB=5 \\
        flock /work/bench.lock python bench/dashboard_http.py --runs 3 --duration 8 [--intake]

Needs a seeded bench database and var/bench/context.json (`bench/run.py ... --only queries`
once). Serves the app with gunicorn (2 sync workers, DEBUG off), then per run: the API with a
start date no request asked for before (bench/wrk/dashboard_cold.lua: every request a cache
miss), the API as the big screen polls it (one URL: cached), and bench/baseline.py's bare
aggregates; with --intake also the channel intake POST against the bare insert (the triggers'
cost on the hot path). Prints one JSON line per figure with min / median / max over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from bench.run import DB, PORT, REDIS_DB, VAR, stats, wrk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--intake", action="store_true")
    args = parser.parse_args()
    context = json.loads((VAR / "context.json").read_text())
    env = stack.stack_env(db=DB, var_dir=VAR, redis_db=REDIS_DB)
    stack.ensure_services()
    stack.python(env, "manage.py", "migrate", "--noinput")
    session = {"Cookie": f"sessionid={context['leader_session']}", "Accept": "application/json"}
    key = {"Authorization": f"Key {context['channel_key']}"}
    base = f"http://127.0.0.1:{PORT}"
    figures: list[tuple[str, str, str, dict[str, str], int]] = [
        ("dashboard_cold", "/api/v1/ledger/dashboard/", "dashboard_cold.lua", session, args.connections),
        ("dashboard_cached", "/api/v1/ledger/dashboard/", "get.lua", session, args.connections),
        ("bare_aggregates", "/bench/dashboard/", "get.lua", session, args.connections),
    ]
    if args.intake:
        figures += [
            ("intake_post", "/bench/intake-nothrottle/", "post_evaluation.lua", key, 16),
            ("bare_insert", "/bench/insert-evaluation/", "post_evaluation.lua", key, 16),
        ]
    gunicorn = stack.start_gunicorn(env, workers=2, port=PORT, logdir=VAR)
    results: dict[str, list[dict]] = {name: [] for name, *_rest in figures}
    try:
        for run in range(args.runs):
            os.environ["BENCH_RUN_OFFSET"] = str(run * 997)
            for name, path, script, headers, connections in figures:
                # wrk stops waiting at the end of a run, but a worker still finishes a slow cold
                # computation: let them drain so the next figure starts on idle workers.
                time.sleep(5)
                result = wrk(
                    base + path,
                    script=script,
                    duration=args.duration,
                    connections=connections,
                    headers=headers,
                    run_tag=f"dash-{name}-{run}-{int(time.time())}",
                )
                results[name].append(result)
                stack.log(
                    f"{name} run {run + 1}: {result['rps']:.1f} req/s, p95 {result['p95_ms']} ms, non-2xx {result['non2xx']}"
                )
    finally:
        gunicorn.stop()
    for name, runs in results.items():
        summary = {
            "figure": name,
            "rps": stats([r["rps"] for r in runs]),
            "p95_ms": stats([r["p95_ms"] for r in runs]),
            "p99_ms": stats([r["p99_ms"] for r in runs]),
            "non2xx": sum(r["non2xx"] + r["socket_errors"] for r in runs),
            "load": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
