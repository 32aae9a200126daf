"""The stack's cost per request, in process, as gunicorn calls it: the WSGI application itself (no test client,
no network), with Django's request_started / request_finished signals, so the connection's per-request health
check and everything a sync worker runs between two requests is counted.

    # one side: CPU per request (median and min of --blocks blocks), statements of one request
    python -m bench.stack_cpu measure project baseline [--requests 2000] [--blocks 10]
    python -m bench.stack_cpu measure reference reference
    # the time of each middleware class on its own (inclusive minus the next one's), µs per request
    python -m bench.stack_cpu middleware project baseline
    # cProfile of many requests, grouped by layer (middleware, URL resolver, ORM, driver, logging, ...)
    python -m bench.stack_cpu profile project baseline [--top 40]
    # interleaved rounds of several sides in fresh processes, with ratios against the reference per round
    python -m bench.stack_cpu compare [--rounds 5] [--kinds baseline,baseline_evaluation]

The project side needs the bench environment (bench/stack.py's stack_env: DATABASE_URL, BENCH_BASELINE=1, …);
the reference side reads REFERENCE_DATABASE_URL (a database migrated by bench/reference/manage.py). CPU time
is this process's (Django, the driver's client side), not PostgreSQL's: on a shared, loaded machine it moves
far less than requests per second do, but it still moves: compare sides measured in the same round.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "bench" / "reference"

# The project's paths (BENCH_BASELINE=1); the reference serves /insert/ only.
PROJECT_PATHS = {
    "baseline": "/bench/insert/",
    "baseline_evaluation": "/bench/insert-evaluation/",
    "evaluation": "/api/v1/intake/evaluations/",
    "complaint": "/api/v1/intake/complaints/",
}


def setup(side: str) -> None:
    if side == "reference":
        sys.path.insert(0, str(REFERENCE_DIR))
        os.environ["DJANGO_SETTINGS_MODULE"] = "reference.settings"
    else:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
    import django

    django.setup()


def _channel_key() -> str:
    """A channel serving a new centre, and its key (the intake kinds only)."""
    from complaints.models import Channel
    from tests.factories.intake import issued_key
    from tests.factories.staff import CentreFactory

    suffix = str(time.time_ns())[-8:]
    centre = CentreFactory.create(code=f"sc{suffix}", tracking_prefix=f"S{suffix[-6:]}")
    channel, _ = Channel.objects.get_or_create(
        code="bench-hotline", defaults={"name": "12345热线接口", "kind": Channel.Kind.HOTLINE}
    )
    channel.centres.set([centre])
    return issued_key(channel)


APP: list[Any] = []  # the WSGI application requester() made (middleware_times instruments it)


def requester(side: str, kind: str) -> Callable[[], int]:
    """One POST as wrk sends it (bench/wrk/post_evaluation.lua), through the WSGI application, response closed."""
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    APP.append(app)
    path = "/insert/" if side == "reference" else PROJECT_PATHS[kind]
    headers: dict[str, str] = {}
    if kind in {"evaluation", "complaint"}:
        headers["HTTP_AUTHORIZATION"] = f"Key {_channel_key()}"
    tag = f"sc{os.getpid()}-{time.time_ns() % 10**9}"
    counter = [0]
    status: list[str] = []

    def start_response(s: str, h: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda data: None

    def post() -> int:
        counter[0] += 1
        ext = f"{tag}-{counter[0]}"
        if kind == "complaint":
            body = json.dumps({"content": "窗口排队太久", "external_id": ext}).encode()
        else:
            body = json.dumps({"level": 5, "text": "bench", "external_id": ext}).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "RAW_URI": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8720",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "40000",
            "HTTP_HOST": "127.0.0.1:8720",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_IDEMPOTENCY_KEY": f"idem-{ext}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **headers,
        }
        status.clear()
        response = app(environ, start_response)
        b"".join(response)  # the body read to its end, as the server does
        response.close()  # request_finished: close_old_connections, as gunicorn's worker does
        code = int(status[0].split()[0])
        if code not in (200, 201):
            raise RuntimeError(f"{path} answered {status[0]}")
        return code

    return post


def cpu_per_request(post: Callable[[], int], requests: int, blocks: int) -> dict[str, float]:
    per_block = max(1, requests // blocks)
    cpu, wall = [], []
    for _ in range(blocks):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(per_block):
            post()
        cpu.append((time.process_time() - c) * 1e6 / per_block)
        wall.append((time.perf_counter() - w) * 1e6 / per_block)
    return {
        "cpu_us": round(statistics.median(cpu), 1),
        "cpu_us_min": round(min(cpu), 1),
        "wall_us": round(statistics.median(wall), 1),
    }


def statements(post: Callable[[], int]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        post()
    return [q["sql"][:120] for q in ctx.captured_queries]


def measure(side: str, kind: str, requests: int, blocks: int) -> dict[str, Any]:
    post = requester(side, kind)
    for _ in range(20):
        post()
    sql = statements(post)
    return {"side": side, "kind": kind, "statements": len(sql), "sql": sql, **cpu_per_request(post, requests, blocks)}


# --- per middleware ---------------------------------------------------------------------------


def middleware_times(side: str, kind: str, requests: int) -> dict[str, Any]:
    """Each middleware class's own time per request: the time inside its __call__ minus the time inside the
    next one's (its process_view, if any, runs inside the handler and is counted apart). CPU time of this
    thread, so the database's wait is not in it."""
    post = requester(side, kind)
    handler = APP[-1]
    chain: list[Any] = []
    link: Any = handler._middleware_chain
    while hasattr(link, "__wrapped__"):
        inner = link.__wrapped__
        if not hasattr(inner, "get_response"):
            break
        chain.append(inner)
        link = inner.get_response
    clock = time.thread_time_ns
    inclusive: dict[str, int] = defaultdict(int)
    names = [f"{type(m).__module__}.{type(m).__qualname__}" for m in chain]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                inclusive[name] += clock() - started

        return call

    # Time each class's get_response (the next link) and the chain's head: inclusive(i) = time in link i.
    handler._middleware_chain = timed("0:chain", handler._middleware_chain)
    for i, mw in enumerate(chain):
        mw.get_response = timed(f"{i + 1}:after {names[i]}", mw.get_response)
    view_hooks = []
    for j, hook in enumerate(handler._view_middleware):
        owner = hook.__self__
        hook_name = f"process_view {type(owner).__module__}.{type(owner).__qualname__}"
        view_hooks.append(hook_name)
        handler._view_middleware[j] = timed(hook_name, hook)
    for _ in range(20):
        post()
    inclusive.clear()
    started = clock()
    for _ in range(requests):
        post()
    total = clock() - started
    per = {k: v / requests / 1000 for k, v in inclusive.items()}
    own: dict[str, float] = {}
    keys = ["0:chain"] + [f"{i + 1}:after {names[i]}" for i in range(len(chain))]
    for i, name in enumerate(names):
        own[name] = round(per[keys[i]] - per[keys[i + 1]], 1)
    hooks = {h: round(per.get(h, 0.0), 1) for h in view_hooks}
    innermost = per[keys[-1]] - sum(hooks.values())
    return {
        "side": side,
        "kind": kind,
        "requests": requests,
        "whole_request_us": round(total / requests / 1000, 1),
        "outside_middleware_us": round(total / requests / 1000 - per["0:chain"], 1),
        "middleware_own_us": own,
        "middleware_sum_us": round(sum(own.values()) + sum(hooks.values()), 1),
        "process_view_us": hooks,
        "resolve_view_and_response_us": round(innermost, 1),
    }


# --- cProfile, grouped by layer --------------------------------------------------------------------

LAYERS = [
    ("middleware: django.contrib", ("django/contrib/sessions", "django/contrib/auth", "django/contrib/messages")),
    ("middleware: django.middleware", ("django/middleware",)),
    ("middleware: project", ("govservice/lean", "govservice/idle", "govservice/input_guard", "govservice/replica")),
    ("middleware: project", ("govservice/throttling",)),
    ("middleware: third party", ("axes/", "whitenoise/", "django_htmx/")),
    ("URL resolver", ("django/urls",)),
    ("i18n", ("django/utils/translation",)),
    ("ORM and backend", ("django/db",)),
    ("psycopg2", ("psycopg2",)),
    ("HTTP request/response", ("django/http", "django/core/handlers")),
    ("signals", ("django/dispatch",)),
    ("logging", ("logging/",)),
    ("settings", ("django/conf",)),
    ("json", ("json/",)),
    ("view (bench)", ("bench/",)),
]


def layer_of(filename: str) -> str:
    for layer, needles in LAYERS:
        if any(n in filename for n in needles):
            return layer
    if filename.startswith("~") or filename == "":
        return "builtins"
    return "other"


def profile(side: str, kind: str, requests: int, top: int) -> None:
    post = requester(side, kind)
    for _ in range(20):
        post()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        post()
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_layer: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_layer[layer_of(filename)] += tottime
    print(f"own time by layer, µs per request (profiled, so inflated), {side} {kind}:")
    for layer, seconds in sorted(by_layer.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds * 1e6 / requests:8.1f}  {layer}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())


# --- interleaved comparison in fresh processes -----------------------------------------------------


def compare(rounds: int, kinds: list[str], requests: int, blocks: int) -> dict[str, Any]:
    sides = [("reference", "reference")] + [("project", k) for k in kinds]
    results: list[dict[str, dict[str, Any]]] = []
    for i in range(rounds):
        order = sides if i % 2 == 0 else list(reversed(sides))
        measured: dict[str, dict[str, Any]] = {}
        for side, kind in order:
            env = dict(os.environ)
            cwd = REFERENCE_DIR if side == "reference" else ROOT
            out = subprocess.run(
                [sys.executable, "-m", "bench.stack_cpu", "measure", side, kind, "--requests", str(requests)]
                + ["--blocks", str(blocks)],
                cwd=ROOT,
                env={**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{cwd}"},
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if out.returncode != 0:
                raise RuntimeError(out.stderr[-3000:])
            measured[kind] = json.loads(out.stdout.strip().splitlines()[-1])
        ref = measured["reference"]["cpu_us"]
        for m in measured.values():
            m["cpu_ratio"] = round(ref / m["cpu_us"], 3)
        results.append(measured)
        print(
            f"round {i + 1} (load {os.getloadavg()[0]:.1f}): "
            + "; ".join(f"{k} {m['cpu_us']} µs (×{m['cpu_ratio']})" for k, m in measured.items()),
            file=sys.stderr,
        )
    summary = {
        kind: {
            "cpu_us_median": round(statistics.median(r[kind]["cpu_us"] for r in results), 1),
            "cpu_us_min": round(min(r[kind]["cpu_us_min"] for r in results), 1),
            "reference_over_this_median": round(statistics.median(r[kind]["cpu_ratio"] for r in results), 3),
            "statements": results[0][kind]["statements"],
        }
        for _side, kind in sides
    }
    return {"rounds": rounds, "requests": requests, "load_average": list(os.getloadavg()), "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["measure", "middleware", "profile", "compare"])
    parser.add_argument("side", nargs="?", choices=["project", "reference"], default="project")
    parser.add_argument("kind", nargs="?", default="baseline")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kinds", default="baseline,baseline_evaluation")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if args.action == "compare":
        print(json.dumps(compare(args.rounds, args.kinds.split(","), args.requests, args.blocks)))
        return
    setup(args.side)
    if args.action == "measure":
        print(json.dumps(measure(args.side, args.kind, args.requests, args.blocks)))
    elif args.action == "middleware":
        print(json.dumps(middleware_times(args.side, args.kind, args.requests), indent=1))
    else:
        profile(args.side, args.kind, args.requests, args.top)


if __name__ == "__main__":
    main()
