"""Profile one kind of request through the whole stack, in process (cProfile), with its SQL statements.

    python -m bench.profile_request baseline|baseline_evaluation|evaluation|complaint [--requests 300] [--top 40]
        [--sort tottime] [--level 1..5] [--cpu]

Needs DATABASE_URL (PostgreSQL) and BENCH_BASELINE=1 (for /bench/…); builds its own centre, channel and
key with the test factories. Prints the statements of one warm request, then the profile of --requests more:
what each layer (middleware, DRF, services, logging, the database driver) costs per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

URLS = {
    "baseline": "/bench/insert/",
    "baseline_evaluation": "/bench/insert-evaluation/",
    "evaluation": "/api/v1/intake/evaluations/",
    "complaint": "/api/v1/intake/complaints/",
}


def _world() -> str:
    from complaints.models import Channel
    from tests.factories.intake import issued_key
    from tests.factories.staff import CentreFactory

    suffix = str(time.time_ns())[-8:]
    centre = CentreFactory.create(code=f"pr{suffix}", tracking_prefix=f"R{suffix[-6:]}")
    channel, _ = Channel.objects.get_or_create(
        code="bench-hotline", defaults={"name": "12345热线接口", "kind": Channel.Kind.HOTLINE}
    )
    channel.centres.set([centre])
    return issued_key(channel)


def cpu_per_request(post: Callable[[], object], requests: int, blocks: int = 5) -> dict[str, float]:
    """Median over `blocks` blocks of this process's CPU and wall time per request, in ms. The CPU is the
    application's (Django, DRF, the services, the driver's client side), not PostgreSQL's: on a shared,
    loaded machine it moves far less than requests per second do."""
    cpu, wall = [], []
    for _ in range(blocks):
        c, w = time.process_time(), time.perf_counter()
        for _ in range(requests // blocks):
            post()
        cpu.append((time.process_time() - c) * 1000 / (requests // blocks))
        wall.append((time.perf_counter() - w) * 1000 / (requests // blocks))
    return {"cpu_ms": round(statistics.median(cpu), 3), "wall_ms": round(statistics.median(wall), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(URLS))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="no profiler: print the CPU and wall time per request only (median of 5 blocks)",
    )
    parser.add_argument(
        "--level", type=int, default=5, help="evaluation: the rating sent (1–2 open a bad review); default 5"
    )
    args = parser.parse_args()
    key = _world()
    client = Client(HTTP_HOST="127.0.0.1")
    url = URLS[args.kind]
    n = [0]

    def post() -> int:
        n[0] += 1
        ext = f"prof-{time.time_ns()}-{n[0]}"
        body = (
            {"content": "窗口排队太久", "external_id": ext}
            if args.kind == "complaint"
            else {"level": args.level, "text": "好", "external_id": ext}
        )
        response = client.post(
            url,
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Key {key}",
            HTTP_IDEMPOTENCY_KEY=f"idem-{ext}",
        )
        assert response.status_code in (200, 201), response.content
        return response.status_code

    for _ in range(5):
        post()  # warm: the key cache, the reply rules, lazy imports
    with CaptureQueriesContext(connection) as ctx:
        post()
    print(f"statements of one warm {args.kind} POST: {len(ctx.captured_queries)}")
    for q in ctx.captured_queries:
        print("   ", q["sql"][:140])
    if args.cpu:
        print(json.dumps({"kind": args.kind, **cpu_per_request(post, args.requests)}))
        return
    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.enable()
    for _ in range(args.requests):
        post()
    profiler.disable()
    cpu_ms = (time.process_time() - started) * 1000 / args.requests
    print(f"CPU per request (profiled, so inflated): {cpu_ms:.2f} ms")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
