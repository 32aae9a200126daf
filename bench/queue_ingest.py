"""The queue feed's sustained ingest (issue 19): batches of queue events at a fixed rate, open loop.

    python -m bench.queue_ingest seed          # a device (its key), two windows, a ticket for the baseline

The driver (`drive`) sends one batch every `batch / rate` seconds whatever the answers take (open loop,
so a slow answer cannot slow the load down and hide itself), each from a thread of a pool, and times
every request from the moment it was due. Every batch carries new tickets: taken, called, started,
ended, each event unique. Loopback only.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_CENTRE_NAME = "bench-queue"
WINDOW_CODES = ("Q01", "Q02")


def seed() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
    import django

    django.setup()
    from django.utils import timezone

    from govservice.models import Centre
    from intake.models import QueueDevice, QueueTicket
    from intake.queue.services import queue_device_create
    from staff.models import PositionType, Window

    centre = Centre.objects.order_by("id").first()
    assert centre is not None, "seed the bench data first"
    for code in WINDOW_CODES:
        Window.objects.get_or_create(
            centre=centre, code=code, defaults={"name": f"排队{code}", "kind": PositionType.PROFESSIONAL}
        )
    QueueDevice.objects.filter(centre=centre, name=BENCH_CENTRE_NAME).update(revoked_at=dt.datetime.now(dt.UTC))
    issued = queue_device_create(centre=centre, name=BENCH_CENTRE_NAME)
    ticket, _ = QueueTicket.objects.get_or_create(
        centre=centre, day=timezone.localdate(), number="BASELINE", defaults={"status": QueueTicket.Status.WAITING}
    )
    return {"queue_key": issued.raw_key, "queue_device_id": issued.device.pk, "queue_ticket_id": ticket.pk}


def _batch(run: str, n: int, size: int) -> bytes:
    """`size` events: size // 4 new tickets, each taken, called, started and ended a few seconds ago."""
    now = dt.datetime.now(dt.UTC)
    events = []
    for t in range(size // 4):
        number = f"{run}-{n}-{t}"[:20]
        window = WINDOW_CODES[t % 2]
        base = now - dt.timedelta(seconds=40)
        for offset, kind in enumerate(("taken", "called", "started", "ended")):
            event: dict[str, str] = {
                "kind": kind,
                "ticket": number,
                "occurred_at": (base + dt.timedelta(seconds=10 * offset)).isoformat(),
            }
            if kind != "taken":
                event["window"] = window
            events.append(event)
    return json.dumps({"events": events}).encode()


def drive(*, port: int, path: str, key: str, rate: float, batch: int, duration: float, run: str) -> dict[str, Any]:
    interval = batch / rate
    total = int(duration / interval)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    local = threading.local()

    def send(n: int, due: float) -> None:
        body = _batch(run, n, batch)
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request(
                "POST", path, body=body, headers={"Authorization": f"Key {key}", "Content-Type": "application/json"}
            )
            response = conn.getresponse()
            payload = response.read()
            # The service's answer must have kept every event; the baseline's only say it inserted them.
            ok = response.status == 200 and json.loads(payload).get("rejected", 0) == 0
        except Exception as exc:  # a broken connection: counted, and the next request reconnects
            local.conn = None
            with lock:
                failures.append(repr(exc)[:200])
            return
        elapsed = (time.monotonic() - due) * 1000
        with lock:
            latencies.append(elapsed)
            if not ok:
                failures.append(f"HTTP {response.status}: {payload[:200]!r}")

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=16) as pool:
        for n in range(total):
            due = start + n * interval
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, n, due)
    latencies.sort()

    def pct(p: float) -> float | None:
        return round(latencies[max(0, int(p * len(latencies)) - 1)], 1) if latencies else None

    return {
        "path": path,
        "events_per_second": rate,
        "batch": batch,
        "requests": total,
        "answered": len(latencies),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1], 1) if latencies else None,
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        print("RESULT " + json.dumps(seed()))
    else:
        raise SystemExit(__doc__)
