"""`make bench`: seed volume into PostgreSQL, serve with gunicorn (sync workers) + a Celery worker
+ Redis, drive load with wrk on loopback, and write bench/results/<figure>.json and the table in
docs/benchmarks.md. Every figure is min/median/max over --runs runs, with a ratio against a bare
Django view doing the same database work, measured in the same run.

    .venv/bin/python bench/run.py                      # default sizes, finishes in < 10 min here
    .venv/bin/python bench/run.py --evaluations 1000000 --complaints 200000 --cases 100000 --sms 100000 \
        --rotation-rows 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack  # noqa: E402
from bench.stack import ROOT, log  # noqa: E402

RESULTS = ROOT / "bench" / "results"
VAR = ROOT / "var" / "bench"
DOC = ROOT / "docs" / "benchmarks.md"
# Overridable so two checkouts can measure at once without sharing a database, port or Redis db.
PORT = int(os.environ.get("BENCH_PORT", "8765"))
# The plain reference project (bench/reference/) is served next to it, on its own port and database.
REFERENCE_PORT = int(os.environ.get("BENCH_REFERENCE_PORT", str(PORT + 2)))
DB = os.environ.get("BENCH_DB", "govservice_bench")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "5"))
SCALING_DOC = ROOT / "docs" / "scaling.md"

# Issue 21: `--scale NAME` sets the volumes (any option given on the command line still wins), seeds a database of
# its own (<BENCH_DB>_<name>, kept for --reuse-db) and writes bench/results/scale-<name>/ and the table of
# docs/scaling.md instead of docs/benchmarks.md. A province: 100 centres, 5,000 window staff, a year of 10 M
# evaluations, 2 M complaints and 1 M cases, one history row per evaluation; the SMS outbox is the export part's
# 1 M rows. `1m` is the same province with a tenth of the rows; `tiny` is for the tests.
SCALES: dict[str, dict[str, Any]] = {
    "province": {
        "evaluations": 10_000_000,
        "complaints": 2_000_000,
        "cases": 1_000_000,
        "history": 10_000_000,
        "export_rows": 1_000_000,
    },
    "1m": {
        "evaluations": 1_000_000,
        "complaints": 200_000,
        "cases": 100_000,
        "history": 1_000_000,
        "export_rows": 1_000_000,
    },
    "tiny": {"evaluations": 3_000, "complaints": 600, "cases": 300, "history": 3_000, "export_rows": 1_000},
}
PROVINCE_SHAPE: dict[str, Any] = {"staff": 5_000, "centres": 100, "spread_days": 335, "lifelike": True, "vacuum": True}
SCALES["province"].update(PROVINCE_SHAPE)
SCALES["1m"].update(PROVINCE_SHAPE)
SCALES["tiny"].update({"staff": 60, "centres": 4, "spread_days": 335, "lifelike": True, "vacuum": False})
# What a scale measures unless --only says otherwise: the figures issue 21 names.
SCALE_PARTS = "scoring,dashboard_cold,http,export"
SCALE_FIGURES = "intake_post,intake_post_throttled"


def stats(values: Sequence[float | None]) -> dict:
    """min, median, max of the figures that exist (a run whose baseline served nothing has no ratio)."""
    present = [v for v in values if v is not None]
    if not present:
        return {"min": None, "median": None, "max": None, "n": 0}
    return {
        "min": round(min(present), 3),
        "median": round(statistics.median(present), 3),
        "max": round(max(present), 3),
        "n": len(present),
    }


def wrk(
    url: str, *, script: str, duration: int, connections: int, headers: dict[str, str], run_tag: str, threads: int = 2
) -> dict:
    args = [
        stack.ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        f"bench/wrk/{script}",
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(url)
    assert url.startswith("http://127.0.0.1:"), "loopback only"
    env = {**os.environ, "BENCH_RUN": run_tag}
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=duration + 60, check=False)
    match = re.search(r"^BENCHJSON (\{.*\})$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    return json.loads(match.group(1))


def inproc(env: dict[str, str], *args: str, timeout: float = 900) -> dict:
    out = stack.python(env, "-m", "bench.inproc", *args, timeout=timeout)
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def parse_knowledge_output(out: str) -> dict:
    """bench/knowledge_search.py prints one (indented) JSON object last."""
    start = out.rfind("\n{")
    text = out[start + 1 :] if start >= 0 else out
    try:
        return json.loads(text)
    except ValueError:
        return {"output": out.strip()[-2000:]}


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # The channel limit is raised so that the throttled figure measures what the throttle costs, not its
        # refusals (at the default 6000/min a fast run is refused above 100 req/s, as it should be).
        self.env = stack.stack_env(db=DB, var_dir=VAR, redis_db=REDIS_DB, THROTTLE_CHANNEL="1000000/min")
        self.context: dict = {}
        self.figures: dict[str, dict] = {}
        self.base = f"http://127.0.0.1:{PORT}"
        self.gunicorn: stack.Proc | None = None
        self.reference: stack.Proc | None = None
        self.workers = args.workers
        self.step_seconds: dict[str, float] = {}
        self.table_sizes: dict[str, dict[str, Any]] = {}

    # --- set-up -----------------------------------------------------------------------------
    def setup(self) -> None:
        self.load_at_start = list(os.getloadavg())
        stack.ensure_services()
        stack.ensure_wrk()
        VAR.mkdir(parents=True, exist_ok=True)
        RESULTS.mkdir(parents=True, exist_ok=True)
        if not self.args.reuse_db:
            log(f"fresh database {DB}")
            stack.fresh_database(DB)
        stack.prepare(self.env)
        log(
            "seeding "
            + ", ".join(
                f"{k}={getattr(self.args, k)}"
                for k in ("evaluations", "complaints", "cases", "staff", "centres", "history", "spread_days")
            )
        )
        started = time.monotonic()
        seed_args = [
            "--evaluations",
            str(self.args.evaluations),
            "--complaints",
            str(self.args.complaints),
            "--cases",
            str(self.args.cases),
            "--staff",
            str(self.args.staff),
            "--centres",
            str(self.args.centres),
            "--spread-days",
            str(self.args.spread_days),
            "--history",
            str(self.args.history),
            *(["--lifelike"] if self.args.lifelike else []),
            *(["--vacuum"] if self.args.vacuum else []),
            "--out",
            str(VAR / "context.json"),
        ]
        # The seed's progress (stderr) shows as it comes; its result is the last line of stdout.
        seeding = subprocess.run(
            [stack.PY, "-m", "bench.seed", *seed_args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
            timeout=self.args.seed_timeout,
            check=False,
        )
        if seeding.returncode != 0:
            raise RuntimeError(f"bench.seed failed:\n{seeding.stdout[-3000:]}")
        out = seeding.stdout
        self.context = json.loads((VAR / "context.json").read_text())
        self.seed_seconds = round(time.monotonic() - started, 1)
        log(f"seeded in {self.seed_seconds} s: {out.strip().splitlines()[-1]}")

    def serve(self, workers: int) -> None:
        if self.gunicorn:
            self.gunicorn.stop()
        self.gunicorn = stack.start_gunicorn(self.env, workers=workers, port=PORT, logdir=VAR)

    def session(self) -> dict[str, str]:
        return {"Cookie": f"sessionid={self.context['leader_session']}", "Accept": "application/json"}

    def channel(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.context['channel_key']}"}

    # --- a side-by-side figure --------------------------------------------------------------
    def compare(
        self,
        name: str,
        *,
        target: str,
        baseline: str,
        script: str,
        headers: dict[str, str],
        connections: int = 16,
        runs: int | None = None,
    ) -> dict:
        runs = runs or self.args.runs
        per_run: list[dict[str, Any]] = []  # {"target": wrk figures, "baseline": wrk figures, "ratio": float | None}
        for i in range(runs):
            tag = f"{name}-{int(time.time())}-{i}"
            b = wrk(
                self.base + baseline,
                script=script,
                duration=self.args.duration,
                connections=connections,
                headers=headers,
                run_tag=tag + "-b",
            )
            t = wrk(
                self.base + target,
                script=script,
                duration=self.args.duration,
                connections=connections,
                headers=headers,
                run_tag=tag + "-t",
            )
            per_run.append({"target": t, "baseline": b, "ratio": round(t["rps"] / b["rps"], 3) if b["rps"] else None})
            log(
                f"{name} run {i + 1}: {t['rps']:.0f} req/s vs baseline {b['rps']:.0f} "
                f"(ratio {per_run[-1]['ratio']}), p95 {t['p95_ms']} ms, p99 {t['p99_ms']} ms, non-2xx {t['non2xx']}"
            )
        return {
            "target_url": target,
            "baseline_url": baseline,
            "connections": connections,
            "duration_s": self.args.duration,
            "rps": stats([r["target"]["rps"] for r in per_run]),
            "baseline_rps": stats([r["baseline"]["rps"] for r in per_run]),
            "ratio": stats([r["ratio"] for r in per_run]),
            "p95_ms": stats([r["target"]["p95_ms"] for r in per_run]),
            "p99_ms": stats([r["target"]["p99_ms"] for r in per_run]),
            "non2xx": sum(r["target"]["non2xx"] + r["target"]["socket_errors"] for r in per_run),
            "baseline_non2xx": sum(r["baseline"]["non2xx"] + r["baseline"]["socket_errors"] for r in per_run),
            "runs": per_run,
        }

    # --- figures ----------------------------------------------------------------------------
    def worker_model(self) -> None:
        """Compare 2/3/5 sync workers once on the intake POST and the case detail GET; keep the winner."""
        table = {}
        for workers in (2, 3, 5):
            self.serve(workers)
            post = wrk(
                self.base + "/api/v1/intake/evaluations/",
                script="post_evaluation.lua",
                duration=self.args.duration,
                connections=16,
                headers=self.channel(),
                run_tag=f"workers{workers}-{int(time.time())}",
            )
            get = wrk(
                self.base + f"/api/v1/cases/{self.context['case_public_id']}/",
                script="get.lua",
                duration=self.args.duration,
                connections=16,
                headers=self.session(),
                run_tag="w",
            )
            table[workers] = {
                "intake_post_rps": post["rps"],
                "intake_post_p99_ms": post["p99_ms"],
                "case_detail_rps": get["rps"],
                "case_detail_p99_ms": get["p99_ms"],
                "non2xx": post["non2xx"] + get["non2xx"],
            }
            log(f"{workers} workers: POST {post['rps']:.0f}/s p99 {post['p99_ms']} ms; GET {get['rps']:.0f}/s")
        # Score: the sum of both throughputs relative to the best of each.
        best_post = max(v["intake_post_rps"] for v in table.values()) or 1
        best_get = max(v["case_detail_rps"] for v in table.values()) or 1
        winner = max(
            table, key=lambda w: table[w]["intake_post_rps"] / best_post + table[w]["case_detail_rps"] / best_get
        )
        if not self.args.workers:
            self.workers = winner
        self.figures["gunicorn_workers"] = {"sync_workers": table, "winner": winner, "used": self.workers}
        self.serve(self.workers)

    def wanted(self, figure: str) -> bool:
        chosen = set(filter(None, self.args.figures.split(",")))
        return not chosen or figure in chosen

    def http_figures(self) -> None:
        cpid = self.context["case_public_id"]
        if self.wanted("intake_post") or self.wanted("intake_post_throttled"):
            self.intake_figures()
        if self.wanted("case_detail"):
            self.figures["case_detail"] = self.compare(
                "case_detail",
                target=f"/api/v1/cases/{cpid}/",
                baseline=f"/bench/cases/{cpid}/",
                script="get.lua",
                headers=self.session(),
            )
        if self.wanted("case_list"):
            self.figures["case_list"] = self.compare(
                "case_list",
                target="/api/v1/cases/",
                baseline="/bench/cases/",
                script="get.lua",
                headers=self.session(),
            )
        if self.wanted("dashboard"):
            self.figures["dashboard"] = self.compare(
                "dashboard",
                target="/api/v1/ledger/dashboard/",
                baseline="/bench/dashboard/",
                script="get.lua",
                headers=self.session(),
                connections=4,
            )

    def intake_figures(self) -> None:
        # The throttled figure's ratio needs the unthrottled run's baseline: both run together.
        # The baseline writes what the intake POST writes (the evaluation, its history row, the bad-review
        # flow's rows for levels 1-2, the idempotency record, in one transaction), bare: no DRF, no key, no
        # validation. The single-insert view is measured too, for the record.
        self.figures["intake_post"] = self.compare(
            "intake_post",
            target="/bench/intake-nothrottle/",
            baseline="/bench/insert-same-work/",
            script="post_evaluation.lua",
            headers=self.channel(),
        )
        self.figures["intake_post"]["note"] = "throttle off (same view, throttle_classes = [])"
        self.figures["intake_post_vs_single_insert"] = self.compare(
            "intake_post_vs_single_insert",
            target="/bench/intake-nothrottle/",
            baseline="/bench/insert-evaluation/",
            script="post_evaluation.lua",
            headers=self.channel(),
        )
        self.figures["intake_post_throttled"] = self.compare(
            "intake_post_throttled",
            target="/api/v1/intake/evaluations/",
            baseline="/bench/intake-nothrottle/",
            script="post_evaluation.lua",
            headers=self.channel(),
        )
        self.figures["intake_post_throttled"]["ratio_vs_bare_insert"] = {
            "median": round(
                self.figures["intake_post_throttled"]["rps"]["median"]
                / self.figures["intake_post"]["baseline_rps"]["median"],
                3,
            )
        }

    def stack_figure(self) -> None:
        """The cost of the stack: a plain `startproject` view inserting one row (bench/reference/, its own
        database, the same gunicorn settings) against the project's one-INSERT baseline view, the channel
        intake POST of an evaluation and of a complaint, in interleaved rounds (the order flips every
        round, so that a burst of other work on the machine falls on each side alike). Ratios are taken
        per round against the reference measured in that round."""
        self.reference = stack.start_reference(
            self.env, db=f"{DB}_reference", workers=self.workers, port=REFERENCE_PORT, logdir=VAR
        )
        ref = f"http://127.0.0.1:{REFERENCE_PORT}"
        # The outbox's drain (feed entries, notices) runs in a Celery worker on the same cores, as deployed:
        # its CPU is the price of the shorter request and is paid during the measurement.
        stack.purge_broker(REDIS_DB)
        worker = stack.start_worker(self.env, logdir=VAR, name="stack-worker", concurrency=1)
        sides = [
            ("reference", ref + "/insert/", "post_evaluation.lua", {}),
            # The reference's own view and row through the project's stack: the ratio is the stack's cost alone.
            ("baseline", self.base + "/bench/insert/", "post_evaluation.lua", {}),
            # The evaluation the channel intake inserts (trigger, 7 index entries), bare: the table's cost on top.
            ("baseline_evaluation", self.base + "/bench/insert-evaluation/", "post_evaluation.lua", {}),
            ("evaluation", self.base + "/api/v1/intake/evaluations/", "post_evaluation.lua", self.channel()),
            ("complaint", self.base + "/api/v1/intake/complaints/", "post_complaint.lua", self.channel()),
        ]
        rounds: list[dict[str, dict]] = []
        for i in range(self.args.runs):
            order = sides if i % 2 == 0 else list(reversed(sides))
            measured: dict[str, dict] = {}
            for name, url, script, headers in order:
                measured[name] = wrk(
                    url,
                    script=script,
                    duration=self.args.duration,
                    connections=16,
                    headers=headers,
                    run_tag=f"stack-{name}-{int(time.time())}-{i}",
                )
            base_rps = measured["reference"]["rps"] or None
            for name in measured:
                measured[name]["ratio"] = round(measured[name]["rps"] / base_rps, 3) if base_rps else None
            rounds.append(measured)
            log(
                f"stack round {i + 1}: "
                + "; ".join(
                    f"{n} {m['rps']:.0f}/s ×{m['ratio']} p99 {m['p99_ms']} ms non-2xx {m['non2xx']}"
                    for n, m in measured.items()
                )
            )
        worker.stop()
        self.reference.stop()
        self.reference = None
        figure: dict[str, Any] = {"workers": self.workers, "connections": 16, "duration_s": self.args.duration}
        for name, *_rest in sides:
            figure[name] = {
                "rps": stats([r[name]["rps"] for r in rounds]),
                "ratio": stats([r[name]["ratio"] for r in rounds]),
                "p95_ms": stats([r[name]["p95_ms"] for r in rounds]),
                "p99_ms": stats([r[name]["p99_ms"] for r in rounds]),
                "non2xx": sum(r[name]["non2xx"] + r[name]["socket_errors"] for r in rounds),
            }
        figure["rounds"] = rounds
        self.figures["stack"] = figure

    def dashboard_cold(self) -> None:
        """Issue 21: the leader dashboard page and API, cold, for a centre and for the whole province
        (bench/dashboard_scale.py); each on a gunicorn of its own, so the bench's server is stopped first."""
        from bench import dashboard_scale

        if self.gunicorn:
            self.gunicorn.stop()
            self.gunicorn = None
        self.figures["dashboard_cold"] = dashboard_scale.measure(
            self.env, port=PORT, logdir=VAR, context=self.context, requests=self.args.dashboard_requests
        )

    def querycounts(self) -> None:
        self.figures["query_counts"] = inproc(self.env, "querycounts", str(VAR / "context.json"))
        log("query counts: " + json.dumps(self.figures["query_counts"])[:600])

    def scoring(self) -> None:
        if self.args.scale == "province":
            # 5,000 staff in 100 centres: the beat's own run over one month at province volume, seeded in a
            # database of its own (bench/scoring_scale.py; its last line is `RESULT {json}`).
            out = subprocess.run(
                [sys.executable, "-m", "bench.scoring_scale", "--db", f"{DB}_scoring", "--runs", str(self.args.runs)],
                env=self.env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=7200,
                check=True,
            ).stdout
            self.figures["scoring_scale"] = json.loads(
                [line for line in out.splitlines() if line.startswith("RESULT ")][-1].removeprefix("RESULT ")
            )
        result = inproc(self.env, "scoring", str(VAR / "context.json"), "--runs", str(self.args.runs), timeout=1800)
        if "seconds" in result:
            result["seconds_stats"] = stats(result["seconds"])
        self.figures["scoring_run"] = result
        log(f"scoring run: {json.dumps(result)[:300]}")

    def dispatch(self) -> None:
        stack.purge_broker(REDIS_DB)  # this checkout's broker db only, never another run's
        worker = stack.start_worker(self.env, logdir=VAR, concurrency=2)
        runs = []
        try:
            for i in range(self.args.runs):
                tag = f"d{int(time.time())}{i}"
                result = inproc(
                    self.env,
                    "dispatch",
                    str(VAR / "context.json"),
                    "--messages",
                    str(self.args.sms),
                    "--tag",
                    tag,
                    "--timeout",
                    str(self.args.dispatch_timeout),
                    timeout=self.args.dispatch_timeout + 300,
                )
                runs.append(result)
                log(
                    f"dispatch run {i + 1}: {result['per_second']} msg/s, lost {result['lost']}, "
                    f"doubled {result['doubled']}, {result['seconds']} s"
                )
        finally:
            worker.stop()
        self.figures["reminder_dispatch"] = {
            "messages": self.args.sms,
            "worker": "one Celery worker, prefork --concurrency=2",
            "per_second": stats([r["per_second"] for r in runs]),
            "lost": sum(r["lost"] for r in runs),
            "doubled": sum(r["doubled"] for r in runs),
            "runs": runs,
        }

    def rotation(self) -> None:
        """rotate_field_keys over --rotation-rows SMS rows: seeded under the bench's key, rotated to a new
        encryption key (the lookup key follows it, FIELD_LOOKUP_KEY being unset), in a process of its own so
        that its peak RSS is the rotation's; then the seeded rows go and the rest is rotated back."""
        context = str(VAR / "context.json")
        own_key = self.env.get("FIELD_ENCRYPTION_KEY", "bench-only-field-key")
        seed = inproc(self.env, "rotation-seed", context, "--rows", str(self.args.rotation_rows), timeout=7200)
        log(f"rotation: seeded {seed}")
        runs = []
        for i in range(self.args.runs):
            # Odd runs rotate to the new key, even ones back: each run re-encrypts every row.
            keys = f"bench-rotation-key,{own_key}" if i % 2 == 0 else f"{own_key},bench-rotation-key"
            env = {**self.env, "FIELD_ENCRYPTION_KEY": keys}
            result = inproc(env, "rotation-run", context, "--batch-size", "1000", timeout=7200)
            runs.append(result)
            log(f"rotation run {i + 1}: {result['rows_per_second']} rows/s, peak RSS {result['peak_rss_mib']} MiB")
        back = {**self.env, "FIELD_ENCRYPTION_KEY": f"{own_key},bench-rotation-key"}
        inproc(back, "rotation-cleanup", context)
        if self.args.runs % 2:  # an odd number of runs left the bench's own rows under the rotation key
            inproc(back, "rotation-run", context)
        self.figures["key_rotation"] = {
            "rows": runs[0]["rows"] if runs else 0,
            "seeded": self.args.rotation_rows,
            "rows_per_second": stats([r["rows_per_second"] for r in runs]),
            "peak_rss_mib": stats([r["peak_rss_mib"] for r in runs]),
            "unreadable": sum(r["unreadable"] for r in runs),
            "runs": runs,
        }

    def export(self) -> None:
        """The SMS outbox exported in the background (govservice/exports) by its Celery task, at a tenth of
        --export-rows (the "failed" ones) and at --export-rows (all), each in a process of its own: the peak
        RSS at the full count is the figure (target ≤ 200 MiB), and beside the smaller one it shows that memory
        does not grow with the rows (they stream from a server-side cursor into a write-only workbook on disk).
        The rows are seeded in one INSERT … SELECT over generate_series, so 1 M rows take seconds to make."""
        context = str(VAR / "context.json")
        rows = self.args.export_rows
        small = max(1, rows // 10)
        seed = inproc(self.env, "export-seed", context, "--rows", str(rows), "--small", str(small), timeout=3600)
        log(f"export: seeded {seed}")
        runs = []
        for status in ("failed", ""):
            result = inproc(self.env, "export-run", context, "--status", status, timeout=7200)
            log(
                f"export: {result['rows']} rows, {result['rows_per_second']} rows/s, peak RSS {result['peak_rss_mib']} MiB"
            )
            runs.append(result)
        inproc(self.env, "export-cleanup", context)
        self.figures["export"] = {"seeded": rows, "seed_seconds": seed["seconds"], "runs": runs}

    def queue(self) -> None:
        """Issue 19: sustained queue-event ingest at --queue-rate events/s in batches of --queue-batch, open
        loop (bench/queue_ingest.py), against a bare insert view of the same batches in the same run."""
        from bench import queue_ingest

        out = stack.python(self.env, "-m", "bench.queue_ingest", "seed", timeout=300)
        seeded = json.loads([x for x in out.splitlines() if x.startswith("RESULT ")][-1][len("RESULT ") :])
        runs: list[dict[str, Any]] = []
        for i in range(self.args.runs):
            tag = f"q{int(time.time()) % 100000}{i}"
            common: dict[str, Any] = {
                "port": PORT,
                "key": seeded["queue_key"],
                "rate": self.args.queue_rate,
                "batch": self.args.queue_batch,
                "duration": self.args.queue_duration,
            }
            baseline = queue_ingest.drive(path="/bench/queue-insert/", run=tag + "b", **common)
            target = queue_ingest.drive(path="/api/v1/queue/events/", run=tag, **common)
            ratio = round(target["p99_ms"] / baseline["p99_ms"], 2) if target["p99_ms"] and baseline["p99_ms"] else None
            runs.append({"target": target, "baseline": baseline, "p99_ratio": ratio})
            log(
                f"queue ingest run {i + 1}: {self.args.queue_rate:.0f} events/s in batches of {self.args.queue_batch}: "
                f"p99 {target['p99_ms']} ms (bare insert {baseline['p99_ms']} ms, ratio {ratio}), "
                f"failures {target['failures']}"
            )
        self.figures["queue_ingest"] = {
            "events_per_second": self.args.queue_rate,
            "batch": self.args.queue_batch,
            "duration_s": self.args.queue_duration,
            "p99_ms": stats([r["target"]["p99_ms"] for r in runs]),
            "baseline_p99_ms": stats([r["baseline"]["p99_ms"] for r in runs]),
            "p99_ratio": stats([r["p99_ratio"] for r in runs]),
            "median_ms": stats([r["target"]["median_ms"] for r in runs]),
            "failures": sum(r["target"]["failures"] for r in runs),
            "target_p99_ms": 100,
            "runs": runs,
        }

    def knowledge(self) -> None:
        script = ROOT / "bench" / "knowledge_search.py"
        if not script.exists():
            self.figures["knowledge_search"] = {"skipped": "bench/knowledge_search.py not present"}
            return
        try:
            out = stack.python(self.env, str(script), timeout=900)
            log("knowledge search: " + out.strip()[-400:])
            self.figures["knowledge_search"] = parse_knowledge_output(out)
        except Exception as exc:  # another helper's script: record, don't abort the whole run
            self.figures["knowledge_search"] = {"error": str(exc)[-2000:]}

    def case_search(self) -> None:
        """The counter's case search at --search-cases cases, p95 per query kind (bench/case_search.py)."""
        out = stack.python(self.env, "-m", "bench.case_search", "--cases", str(self.args.search_cases), timeout=3600)
        self.figures["case_search"] = json.loads(out.strip().splitlines()[-1])
        log("case search: " + out.strip().splitlines()[-1][:600])

    def private_api(self) -> None:
        """Each private API the code keeps against its public replacement, in one process (bench/private_api.py)."""
        out = stack.python(self.env, "-m", "bench.private_api", "--blocks", "7", timeout=3600)
        self.figures["private_api"] = json.loads(out.strip().splitlines()[-1])
        log("private API: " + out.strip()[-600:])

    # --- output -----------------------------------------------------------------------------
    def meta(self) -> dict:
        def version(cmd: list[str]) -> str:
            try:
                return (
                    subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
                    .stdout.strip()
                    .splitlines()[0]
                )
            except Exception:
                return "?"

        import django

        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        return {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} cores, {cpu}, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB",
            "python": platform.python_version(),
            "django": django.get_version(),
            "postgresql": version(["psql", "--version"]),
            "redis": version(["redis-server", "--version"]),
            "wrk": version(["wrk", "--version"]) or "wrk",
            "gunicorn_workers": self.workers,
            "command": "python bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "sizes": {**self.context.get("sizes", {}), "sms": self.args.sms},
            "seed_seconds": getattr(self, "seed_seconds", None),
            "runs": self.args.runs,
            "duration_s": self.args.duration,
            # Other work on the machine skews every figure; the ratios are what stays comparable.
            "load_average_at_start": getattr(self, "load_at_start", None),
            "load_average_at_end": list(os.getloadavg()),
            "scale": self.args.scale or None,
            "step_seconds": self.step_seconds,
            "table_sizes": self.table_sizes,
        }

    def write(self) -> None:
        meta = self.meta()
        for name, figure in self.figures.items():
            (RESULTS / f"{name}.json").write_text(json.dumps({"meta": meta, **figure}, indent=2, default=str))
        meta_file = RESULTS / "meta.json"
        if self.args.scale and self.args.reuse_db and meta_file.exists():
            # A re-run on the kept database: the seeding (and its time) is the earlier run's.
            earlier = json.loads(meta_file.read_text())
            meta["seed_seconds"] = earlier.get("seed_seconds")
            meta["seeded_on"] = earlier.get("seeded_on", earlier.get("date"))
            meta["step_seconds"] = {**earlier.get("step_seconds", {}), **meta["step_seconds"]}
            meta["step_seconds"]["seed"] = earlier.get("step_seconds", {}).get("seed")
        elif self.args.scale:
            meta["seeded_on"] = meta["date"]
        if self.args.only and meta_file.exists() and not self.args.scale:
            # A partial re-run keeps the full run's description and says what was re-measured.
            full = json.loads(meta_file.read_text())
            reruns = [r for r in full.get("reruns", []) if r.get("only") != self.args.only]
            full["reruns"] = [*reruns, {"only": self.args.only, "date": meta["date"], "command": meta["command"]}]
            meta = full
        meta_file.write_text(json.dumps(meta, indent=2))
        if self.args.scale:
            from bench import dashboard_scale

            dashboard_scale.write_doc(RESULTS.parent, SCALING_DOC)
            log(f"wrote {RESULTS}/*.json and {SCALING_DOC}")
            return
        from bench.report import write_doc

        write_doc(RESULTS, DOC)
        log(f"wrote {RESULTS}/*.json and {DOC}")

    def stop(self) -> None:
        if self.gunicorn:
            self.gunicorn.stop()
        if self.reference:
            self.reference.stop()


def main() -> None:
    global DB, VAR, RESULTS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="",
        help="issue 21's volumes (province: 100 centres, 5,000 staff, 10 M evaluations over 12 months; 1m: a tenth)",
    )
    parser.add_argument("--evaluations", type=int, default=200_000)
    parser.add_argument("--complaints", type=int, default=40_000)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--staff", type=int, default=1_000)
    parser.add_argument("--centres", type=int, default=1, help="centres whose window staff share the seeded rows")
    parser.add_argument("--spread-days", type=int, default=180, help="seeded copies moved back by up to these days")
    parser.add_argument("--history", type=int, default=0, help="evaluation history rows to seed (one per evaluation)")
    parser.add_argument(
        "--lifelike", action=argparse.BooleanOptionalAction, default=False, help="seed statuses as over a year of work"
    )
    parser.add_argument(
        "--vacuum",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="VACUUM (ANALYZE) the big tables after seeding",
    )
    parser.add_argument("--seed-timeout", type=int, default=7200, help="seconds the seeding may take")
    parser.add_argument(
        "--dashboard-requests", type=int, default=20, help="cold dashboard requests per view (dashboard_cold part)"
    )
    parser.add_argument("--sms", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn sync workers (0: compare 2/3/5, keep the best)"
    )
    parser.add_argument("--dispatch-timeout", type=int, default=240)
    parser.add_argument(
        "--rotation-rows", type=int, default=100_000, help="SMS rows for the key rotation figure (1000000 for 1 M)"
    )
    parser.add_argument(
        "--export-rows", type=int, default=100_000, help="SMS rows for the export memory figure (1000000 for 1 M)"
    )
    parser.add_argument(
        "--search-cases", type=int, default=100_000, help="cases of the counter's search figure (its own centre)"
    )
    parser.add_argument("--queue-rate", type=float, default=200, help="queue events per second (issue 19: 200)")
    parser.add_argument("--queue-batch", type=int, default=20, help="queue events per request")
    parser.add_argument("--queue-duration", type=float, default=20, help="seconds of queue ingest per run")
    parser.add_argument("--reuse-db", action="store_true", help="keep the seeded database")
    parser.add_argument(
        "--only",
        default="",
        help="comma list: workers,stack,http,queries,scoring,dispatch,knowledge,rotation,export,queue,private_api,"
        f"case_search,dashboard_cold (with --scale, default {SCALE_PARTS})",
    )
    parser.add_argument(
        "--figures",
        default="",
        help="with http: comma list of the HTTP figures to measure "
        "(intake_post,intake_post_throttled,case_detail,case_list,dashboard; default all)",
    )
    chosen, _rest = parser.parse_known_args()
    if chosen.scale:
        parser.set_defaults(**SCALES[chosen.scale], only=SCALE_PARTS, figures=SCALE_FIGURES)
    args = parser.parse_args()
    if args.scale:
        DB = f"{DB}_{args.scale}"
        VAR = VAR / f"scale-{args.scale}"
        RESULTS = RESULTS / f"scale-{args.scale}"
    only = set(filter(None, args.only.split(",")))
    bench = Bench(args)
    started = time.monotonic()
    bench.setup()
    bench.step_seconds = {"seed": round(time.monotonic() - started, 1)}
    if args.scale:
        from bench import dashboard_scale

        bench.table_sizes = dashboard_scale.table_sizes(DB)
        log("table sizes: " + json.dumps(bench.table_sizes))
    try:
        steps = [
            ("queries", bench.querycounts),
            ("scoring", bench.scoring),
            ("workers", bench.worker_model),
            ("stack", bench.stack_figure),
            ("http", bench.http_figures),
            ("dispatch", bench.dispatch),
            ("knowledge", bench.knowledge),
            ("rotation", bench.rotation),
            ("export", bench.export),
            ("queue", bench.queue),
            ("private_api", bench.private_api),
            ("case_search", bench.case_search),
            ("dashboard_cold", bench.dashboard_cold),
        ]
        for name, step in steps:
            if only and name not in only:
                continue
            if name in {"http", "stack", "queue"} and not bench.gunicorn:
                bench.serve(args.workers or 3)
                bench.workers = args.workers or 3
            step_started = time.monotonic()
            try:
                step()
            except Exception as exc:
                log(f"{name} failed: {exc}")
                bench.figures[f"{name}_error"] = {"error": str(exc)[-3000:]}
            bench.step_seconds[name] = round(time.monotonic() - step_started, 1)
            log(f"{name}: {bench.step_seconds[name]} s")
            bench.write()
    finally:
        bench.stop()


if __name__ == "__main__":
    main()
