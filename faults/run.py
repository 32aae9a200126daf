"""`make faults`: start the real stack (PostgreSQL, a private Redis on 127.0.0.1:6391, gunicorn, Celery
workers and beats) and break it, then count. Writes faults/results.json and docs/reliability.md.

Scenarios (each bounded in time; loopback only):
  kill9_worker     kill -9 the Celery worker in the middle of a batch of 1,000 reminders
  redis_restart    restart Redis (no persistence: queued tasks are lost) during dispatch
  pg_terminate     pg_terminate_backend on every app connection, every second, under intake POST load
  pg_restart       restart PostgreSQL itself (a private server, crash-restart) under intake load and dispatch
  two_beats        two beat schedulers running at once by mistake
  visibility       a send task that outlives the broker's visibility timeout
  web_node_dies    one of two web nodes behind a round-robin proxy killed -9 under intake POST load

After each: every due reminder sent exactly once (file backend lines vs outbox rows), nothing left in
"sending" after the reaper's interval, every 2xx request has its row, the app answers again unrestarted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack  # noqa: E402
from bench.stack import PY, ROOT, log  # noqa: E402

VAR = ROOT / "var" / "faults"
# Overridable so two checkouts can break their own stacks at once (like bench's BENCH_DB / BENCH_PORT).
DB = os.environ.get("FAULTS_DB", "govservice_faults")
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "6391"))
WEB_PORT = int(os.environ.get("FAULTS_WEB_PORT", "8766"))
# pg_restart restarts a PostgreSQL server of its own (initdb'd on first use), never the machine's shared one.
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5442"))
PG_DIR = Path(os.environ.get("FAULTS_PG_DIR", Path(tempfile.gettempdir()) / f"govservice-faults-pg-{PG_PORT}"))
RESULTS = ROOT / "faults" / "results.json"
DOC = ROOT / "docs" / "reliability.md"
REAPER_SECONDS = 15


def env(**extra: str) -> dict[str, str]:
    settings = {
        "DJANGO_SETTINGS_MODULE": "faults.settings",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
        "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
        "SMS_SENDING_TIMEOUT_SECONDS": str(REAPER_SECONDS),
        "CELERY_VISIBILITY_TIMEOUT": "30",
        # The intake load runs above a channel's 6000/min: raised, so that a 429 never hides a lost row.
        "THROTTLE_CHANNEL": "1000000/min",
    }
    settings.update(extra)
    environment = stack.stack_env(db=DB, var_dir=VAR)
    environment.update(settings)  # as stack_env's **extra would: these win over its defaults
    return environment


# --- a private Redis we may restart --------------------------------------------------------------


def redis(*args: str) -> str:
    out = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return out.stdout.strip()


def redis_start() -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(REDIS_PORT),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(VAR),
            "--pidfile",
            str(VAR / "redis.pid"),
            "--logfile",
            str(VAR / "redis.log"),
        ],
        check=True,
    )
    stack.wait_for(lambda: redis("ping") == "PONG", 30, "private redis")


def redis_stop() -> None:
    redis("shutdown", "nosave")
    stack.wait_for(lambda: redis("ping") != "PONG", 30, "private redis stop")


# --- a private PostgreSQL we may restart -----------------------------------------------------------


def _pg_bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return str(versions[-1] / name) if versions else name


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def private_pg(action: str) -> None:
    """start (initdb on first use) / restart (crash: -m immediate, every backend killed) / stop."""
    options = f"-p {PG_PORT} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    if action == "start" and not (PG_DIR / "PG_VERSION").exists():
        PG_DIR.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres:postgres", str(PG_DIR)], check=True)
        done = _as_postgres([_pg_bin("initdb"), "-D", str(PG_DIR), "-A", "trust", "-U", "postgres", "--no-sync"])
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-1500:]}")
    mode = {"start": [], "restart": ["-m", "immediate"], "stop": ["-m", "fast"]}[action]
    done = _as_postgres(
        [_pg_bin("pg_ctl"), "-D", str(PG_DIR), "-w", "-l", str(PG_DIR / "server.log"), *mode, "-o", options, action]
    )
    if done.returncode and action != "stop":
        raise RuntimeError(f"pg_ctl {action} failed: {done.stdout[-800:]} {done.stderr[-800:]}")


def private_pg_url(db: str) -> str:
    return f"postgres://postgres@127.0.0.1:{PG_PORT}/{db}"


# --- a worker under a supervisor -------------------------------------------------------------------


class Supervised:
    """A Celery worker restarted whenever it exits, as docker compose's `restart: unless-stopped` does.

    Redis going away can end a worker ("Unrecoverable error" in kombu): production restarts it, so
    the scenarios do too, and count the restarts.
    """

    def __init__(self, start) -> None:
        self.start = start
        self.restarts = 0
        self.proc = start(0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1):
            if not self.proc.alive():
                self.restarts += 1
                log(f"supervisor: worker exited (code {self.proc.popen.returncode}); restart #{self.restarts}")
                self.proc = self.start(self.restarts)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.proc.stop()


# --- helpers ------------------------------------------------------------------------------------


def inproc(module: str, *args: str, timeout: float = 300, extra: dict[str, str] | None = None) -> dict:
    out = stack.python(env(**(extra or {})), "-m", module, *args, timeout=timeout)
    return json.loads([x for x in out.splitlines() if x.startswith("RESULT ")][-1][len("RESULT ") :])


def file_lines(tag: str) -> int:
    path = VAR / "sms" / "sms.jsonl"
    if not path.exists():
        return 0
    needle = f'"bench-{tag}-'
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if needle in line)


def start_driver(
    tag: str, messages: int, timeout: int, *, claim: bool = True, extra: dict[str, str] | None = None
) -> subprocess.Popen:
    args = [
        PY,
        "-m",
        "faults.driver",
        "dispatch",
        "--tag",
        tag,
        "--messages",
        str(messages),
        "--timeout",
        str(timeout),
        "--reap-every",
        "3",
    ]
    if not claim:
        args.append("--no-claim")
    return subprocess.Popen(
        args, cwd=ROOT, env=env(**(extra or {})), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish_driver(driver: subprocess.Popen, timeout: int) -> dict:
    out, _ = driver.communicate(timeout=timeout + 60)
    lines = [x for x in out.splitlines() if x.startswith("RESULT ")]
    errors = [x for x in out.splitlines() if x.startswith("driver error")]
    result = json.loads(lines[-1][len("RESULT ") :]) if lines else {"output": out[-1500:]}
    result["driver_error_samples"] = errors[:3]
    return result


def outbox_check(tag: str, messages: int, *, extra: dict[str, str] | None = None) -> dict:
    """Run the reaper once more after its interval, then count outbox rows and file lines."""
    time.sleep(1)
    inproc("faults.driver", "reap", extra=extra)
    counts = inproc("bench.inproc", "sms-count", "-", "--tag", tag, extra=extra)
    sending = inproc("faults.driver", "stuck", "--tag", tag, extra=extra)["sending"]
    sent_rows = sum(n for s, n in counts["by_status"].items() if s in ("sent", "delivered"))
    counts.update(
        messages=messages,
        sent_rows=sent_rows,
        stuck_sending=sending,
        lost=messages - counts["distinct_sent"],
        unrecorded_doubles=max(0, counts["doubled"] - counts["possible_duplicates_recorded"]),
    )
    counts["ok"] = (
        counts["lost"] == 0
        and counts["unrecorded_doubles"] == 0
        and sending == 0
        and sent_rows == messages
        and counts["distinct_sent"] == messages
    )
    counts["exactly_once"] = counts["ok"] and counts["doubled"] == 0
    return counts


def wait_lines(tag: str, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = file_lines(tag)
        if n >= at_least:
            return n
        time.sleep(0.1)
    return file_lines(tag)


# --- scenarios ----------------------------------------------------------------------------------


def kill9_worker(args: argparse.Namespace) -> dict:
    tag, n = f"k{int(time.time())}", args.messages
    # The provider pauses 2 s after each write, so the kill lands where it hurts most: the file has the
    # batch, the rows still say "sending".
    extra = {"SMS_BACKEND": "faults.slow_backend.PauseAfterWriteFileBackend", "SMS_PAUSE_SECONDS": "2"}
    inproc("bench.inproc", "sms-seed", "-", "--tag", tag, "--messages", str(n))
    worker = stack.start_worker(env(**extra), logdir=VAR, name="worker-a")
    driver = start_driver(tag, n, 240, extra=extra)
    at_kill = wait_lines(tag, n // 3, 120)
    worker.kill9()
    log(f"kill9_worker: killed worker (pid group {worker.pid}) with {at_kill}/{n} sent")
    time.sleep(2)
    worker = stack.start_worker(env(**extra), logdir=VAR, name="worker-b")
    try:
        result = finish_driver(driver, 240)
    finally:
        worker.stop()
    return {"killed_after_sent": at_kill, "driver": result, **outbox_check(tag, n, extra=extra)}


def redis_restart(args: argparse.Namespace) -> dict:
    tag, n = f"r{int(time.time())}", args.messages
    inproc("bench.inproc", "sms-seed", "-", "--tag", tag, "--messages", str(n))
    worker = Supervised(lambda i: stack.start_worker(env(), logdir=VAR, name=f"worker-r{i}"))
    driver = start_driver(tag, n, 240)
    at_restart = wait_lines(tag, n // 3, 120)
    redis_stop()
    time.sleep(2)
    redis_start()
    log(f"redis_restart: restarted Redis (queued tasks dropped) with {at_restart}/{n} sent")
    try:
        result = finish_driver(driver, 240)
    finally:
        worker.stop()
    return {
        "restarted_after_sent": at_restart,
        "worker_restarts": worker.restarts,
        "driver": result,
        **outbox_check(tag, n),
    }


def two_beats(args: argparse.Namespace) -> dict:
    """Two real beat processes; their dispatch entries fire every 60 s, racing for the same rows."""
    tag, n = f"b{int(time.time())}", min(args.messages, 300)
    inproc("bench.inproc", "sms-seed", "-", "--tag", tag, "--messages", str(n))
    worker = stack.start_worker(env(), logdir=VAR, name="worker-beats")
    beats = [stack.start_beat(env(), logdir=VAR, name=f"beat-{i}", schedule=VAR / f"beat-{i}-{tag}") for i in (1, 2)]
    driver = start_driver(tag, n, 140, claim=False)  # watches and reaps only: the beats dispatch
    try:
        result = finish_driver(driver, 140)
    finally:
        for beat in beats:
            beat.stop()
        worker.stop()
    return {"beats": 2, "driver": result, **outbox_check(tag, n)}


def visibility(args: argparse.Namespace) -> dict:
    """Each send takes 8 s; the broker's visibility timeout is 3 s, so Redis hands the task out again."""
    tag, n = f"v{int(time.time())}", 6
    extra = {
        "SMS_BACKEND": "faults.slow_backend.SlowFileBackend",
        "SMS_SLOW_SECONDS": "8",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "SMS_SEND_BATCH_SIZE": "2",  # three send tasks of two messages, not one task of six
    }
    inproc("bench.inproc", "sms-seed", "-", "--tag", tag, "--messages", str(n))
    log_path = VAR / f"worker-vis-{tag}.log"
    worker = stack.Proc(
        "worker-vis",
        [
            str(stack.VENV_BIN / "celery"),
            "-A",
            "govservice",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--without-gossip",
            "--without-mingle",
            "-n",
            "vis@%h",
        ],
        env(**extra),
        log_path,
    )
    time.sleep(4)
    driver = start_driver(tag, n, 120, extra=extra)
    try:
        result = finish_driver(driver, 120)
        time.sleep(5)
    finally:
        worker.stop()
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    # Send tasks carry batches of ids: count receptions per task id, a repeat is a redelivery.
    received_ids = [
        m.group(1)
        for line in text.splitlines()
        if "received" in line.lower() and (m := re.search(r"sms_send(?:_batch)?_task\[([0-9a-f-]+)\]", line))
    ]
    return {
        "send_seconds": 8,
        "visibility_timeout_seconds": 3,
        "send_tasks_received": len(received_ids),
        "send_tasks": len(set(received_ids)),
        "redelivered": len(received_ids) - len(set(received_ids)),
        "driver": result,
        **outbox_check(tag, n),
    }


class Load:
    """Threads POSTing new evaluations to the intake API; each request's outcome recorded. Bounded."""

    def __init__(
        self, key: str, *, threads: int, seconds: float, max_requests: int, port: int = 0, prefix: str = "pgt"
    ) -> None:
        self.key, self.threads, self.seconds, self.max_requests = key, threads, seconds, max_requests
        self.port, self.prefix = port or WEB_PORT, prefix
        self.outcomes: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def post(self, conn: http.client.HTTPConnection, ext: str) -> tuple[http.client.HTTPConnection, int]:
        """POST one evaluation (external id and Idempotency-Key `ext`); the status, 0 for no answer."""
        body = json.dumps({"level": 5, "text": "fault test", "external_id": ext})
        try:
            conn.request(
                "POST",
                "/api/v1/intake/evaluations/",
                body=body,
                headers={
                    "Authorization": f"Key {self.key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": ext,
                    "Host": "127.0.0.1",
                },
            )
            response = conn.getresponse()
            response.read()
            return conn, response.status
        except Exception:
            conn.close()
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=15), 0

    def _worker(self, idx: int, deadline: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        i = 0
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.outcomes) >= self.max_requests:
                    return
            i += 1
            ext = f"{self.prefix}-{idx}-{i}-{int(deadline)}"
            conn, status = self.post(conn, ext)
            with self.lock:
                self.outcomes.append((ext, status))
        conn.close()

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        pool = [threading.Thread(target=self._worker, args=(i, deadline)) for i in range(self.threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(self.seconds + 30)


def pg_terminate(args: argparse.Namespace) -> dict:
    context = json.loads((VAR / "context.json").read_text())
    web = stack.start_gunicorn(env(), workers=3, port=WEB_PORT, logdir=VAR)
    load = Load(context["channel_key"], threads=6, seconds=20, max_requests=20_000)
    runner = threading.Thread(target=load.run)
    runner.start()
    terminated = 0
    time.sleep(3)
    for _ in range(12):  # every second for 12 s: cut every connection the app holds to its database
        out = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{DB}' "
                "AND pid <> pg_backend_pid()",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        terminated += int(out.stdout.strip() or 0)
        time.sleep(1)
    runner.join(60)
    # The app answers again without a restart.
    after = Load(context["channel_key"], threads=2, seconds=3, max_requests=40)
    after.run()
    web.stop()
    ok_ids = [ext for ext, status in load.outcomes if 200 <= status < 300]
    ids_file = VAR / "pg_terminate_2xx_ids.txt"
    ids_file.write_text(",".join(ok_ids))
    check = inproc("faults.rows", "--ids-file", str(ids_file)) if ok_ids else {"missing": 0, "found": 0}
    statuses: dict[str, int] = {}
    for _, status in load.outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    after_ok = sum(1 for _, s in after.outcomes if 200 <= s < 300)
    return {
        "requests": len(load.outcomes),
        "statuses": statuses,
        "backends_terminated": terminated,
        "answered_2xx": len(ok_ids),
        "2xx_without_row": check["missing"],
        "after_requests": len(after.outcomes),
        "after_2xx": after_ok,
        "ok": check["missing"] == 0 and after_ok == len(after.outcomes) and len(after.outcomes) > 0,
    }


def pg_restart(args: argparse.Namespace) -> dict:
    """Crash-restart a private PostgreSQL while clients POST evaluations and reminders are dispatched."""
    db = f"{DB}_restart"
    private_pg("start")
    _as_postgres([_pg_bin("dropdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "--if-exists", db])
    _as_postgres([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", db])
    extra = {"DATABASE_URL": private_pg_url(db)}
    stack.prepare(env(**extra))
    context_file = VAR / "context-restart.json"
    seed = ["-m", "bench.seed", "--evaluations", "10", "--complaints", "10", "--cases", "10", "--staff", "70"]
    stack.python(env(**extra), *seed, "--out", str(context_file))
    context = json.loads(context_file.read_text())
    tag, n = f"p{int(time.time())}", args.messages
    inproc("bench.inproc", "sms-seed", "-", "--tag", tag, "--messages", str(n), extra=extra)
    web = stack.start_gunicorn(env(**extra), workers=3, port=WEB_PORT, logdir=VAR)
    worker = Supervised(lambda i: stack.start_worker(env(**extra), logdir=VAR, name=f"worker-p{i}"))
    load = Load(context["channel_key"], threads=6, seconds=20, max_requests=20_000)
    runner = threading.Thread(target=load.run)
    runner.start()
    driver = start_driver(tag, n, 180, extra=extra)
    try:
        at_restart = wait_lines(tag, n // 4, 60)
        started = time.monotonic()
        private_pg("restart")
        restart_seconds = round(time.monotonic() - started, 1)
        log(f"pg_restart: PostgreSQL crash-restarted in {restart_seconds} s with {at_restart}/{n} reminders sent")
        runner.join(60)
        after = Load(context["channel_key"], threads=2, seconds=3, max_requests=40)
        after.run()  # the app answers again without a restart
        result = finish_driver(driver, 180)
        counts = outbox_check(tag, n, extra=extra)
        ok_ids = [ext for ext, status in load.outcomes if 200 <= status < 300]
        ids_file = VAR / "pg_restart_2xx_ids.txt"
        ids_file.write_text(",".join(ok_ids))
        rows = inproc("faults.rows", "--ids-file", str(ids_file), extra=extra) if ok_ids else {"missing": 0}
    finally:
        web.stop()
        worker.stop()
        private_pg("stop")
    statuses: dict[str, int] = {}
    for _, status in load.outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    after_ok = sum(1 for _, s in after.outcomes if 200 <= s < 300)
    web_ok = rows["missing"] == 0 and after_ok == len(after.outcomes) > 0
    return {
        "restart_seconds": restart_seconds,
        "reminders_sent_at_restart": at_restart,
        "requests": len(load.outcomes),
        "statuses": statuses,
        "answered_2xx": len(ok_ids),
        "2xx_without_row": rows["missing"],
        "after_requests": len(after.outcomes),
        "after_2xx": after_ok,
        "worker_restarts": worker.restarts,
        "driver": result,
        **counts,
        "ok": web_ok and counts["ok"],
        "exactly_once": web_ok and counts["exactly_once"],
    }


def _free_port() -> int:
    """A free loopback port (never the ports other tools of the project use)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in (8000, 8765, 8766):
            return port


def _web_node(name: str, port: int, extra: dict[str, str] | None = None) -> stack.Proc:
    """One web node: gunicorn with 2 sync workers (as docker-compose.yml's `web`), its own log."""
    proc = stack.Proc(
        name,
        [
            str(stack.VENV_BIN / "gunicorn"),
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "govservice.wsgi:application",
        ],
        env(**(extra or {})),
        VAR / f"{name}.log",
    )
    stack.wait_for(lambda: stack._http_ok(f"http://127.0.0.1:{port}/healthz"), 60, name)
    return proc


def web_node_dies(args: argparse.Namespace) -> dict:
    """Two web nodes behind a round-robin proxy (faults/proxy.py); one is killed -9 under intake POST load.

    The proxy sends a request whose connection the dead node refuses to the other node; a request the node
    took and died on is answered 502 (never acknowledged) and the client sends it again with the same
    Idempotency-Key, as a channel does. Counted: every request answered 2xx has its row, no external id has
    two rows, and the survivor answers without a restart.
    """
    context = json.loads((VAR / "context.json").read_text())
    ports = [_free_port() for _ in range(3)]
    proxy_port, node_ports = ports[0], ports[1:]
    nodes = [_web_node(f"web-node-{i + 1}", port) for i, port in enumerate(node_ports)]
    stats_file = VAR / "proxy-stats.json"
    stats_file.unlink(missing_ok=True)
    proxy = stack.Proc(
        "proxy",
        [PY, "-m", "faults.proxy", "--listen", str(proxy_port), "--stats", str(stats_file)]
        + [arg for port in node_ports for arg in ("--backend", f"127.0.0.1:{port}")],
        env(),
        VAR / "proxy.log",
    )
    tag = f"wn{int(time.time())}"
    try:
        stack.wait_for(lambda: stack._http_ok(f"http://127.0.0.1:{proxy_port}/healthz"), 30, "proxy")
        load = Load(context["channel_key"], threads=6, seconds=20, max_requests=20_000, port=proxy_port, prefix=tag)
        runner = threading.Thread(target=load.run)
        runner.start()
        time.sleep(6)
        with load.lock:
            at_kill = len(load.outcomes)
        nodes[0].kill9()
        log(f"web_node_dies: killed web node 1 (pid group {nodes[0].pid}) after {at_kill} requests")
        runner.join(60)
        # The client sends every request not answered 2xx again, with the same Idempotency-Key.
        unanswered = [ext for ext, status in load.outcomes if not 200 <= status < 300]
        retried: list[tuple[str, int]] = []
        conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=15)
        for ext in unanswered:
            conn, status = load.post(conn, ext)
            retried.append((ext, status))
        conn.close()
        after = Load(context["channel_key"], threads=2, seconds=3, max_requests=40, port=proxy_port, prefix=f"{tag}a")
        after.run()  # the surviving node answers without a restart
    finally:
        proxy.stop()
        for node in nodes:
            node.stop()
    proxy_stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    ok_ids = [ext for ext, status in load.outcomes + retried if 200 <= status < 300]
    ids_file = VAR / "web_node_dies_2xx_ids.txt"
    ids_file.write_text(",".join(ok_ids))
    rows = inproc("faults.rows", "--ids-file", str(ids_file)) if ok_ids else {"missing": 0, "rows": 0, "found": 0}
    statuses: dict[str, int] = {}
    for _, status in load.outcomes:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    retry_statuses: dict[str, int] = {}
    for _, status in retried:
        retry_statuses[str(status)] = retry_statuses.get(str(status), 0) + 1
    after_ok = sum(1 for _, s in after.outcomes if 200 <= s < 300)
    distinct_ok = len(set(ok_ids))
    return {
        "nodes": 2,
        "requests_before_kill": at_kill,
        "requests": len(load.outcomes),
        "statuses": statuses,
        "proxy": proxy_stats,
        "retried_by_client": len(retried),
        "retry_statuses": retry_statuses,
        "answered_2xx": distinct_ok,
        "2xx_without_row": rows["missing"],
        "rows_for_2xx": rows.get("rows", 0),
        "doubled_rows": rows.get("rows", 0) - rows.get("found", 0),
        "after_requests": len(after.outcomes),
        "after_2xx": after_ok,
        "ok": rows["missing"] == 0
        and rows.get("rows", 0) == rows.get("found", 0)
        and all(200 <= s < 300 for _, s in retried)
        and after_ok == len(after.outcomes) > 0,
    }


SCENARIOS = {
    "kill9_worker": kill9_worker,
    "redis_restart": redis_restart,
    "pg_terminate": pg_terminate,
    "pg_restart": pg_restart,
    "two_beats": two_beats,
    "visibility": visibility,
    "web_node_dies": web_node_dies,
}

# Short enough for every CI run (about two minutes with the set-up); the others run with `make faults`.
CI_SCENARIOS = ("kill9_worker", "redis_restart", "pg_restart")
# Scenarios that dispatch reminders (and so can lose or double one).
SMS_SCENARIOS = ("kill9_worker", "redis_restart", "pg_restart", "two_beats", "visibility")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=None, help="due reminders per scenario (1000; --ci: 300)")
    parser.add_argument("--only", default="", help="comma list of scenarios")
    parser.add_argument(
        "--ci",
        action="store_true",
        help=f"the scenarios that fit CI's time ({', '.join(CI_SCENARIOS)}), 300 reminders each, every one "
        "required exactly once; results in var/faults/ci-results.json, docs/reliability.md left alone",
    )
    args = parser.parse_args()
    if args.messages is None:
        args.messages = 300 if args.ci else 1000
    chosen = [s for s in SCENARIOS if (s in args.only.split(",") if args.only else (not args.ci or s in CI_SCENARIOS))]
    results_file = VAR / "ci-results.json" if args.ci else RESULTS
    stack.ensure_services()
    VAR.mkdir(parents=True, exist_ok=True)
    log(f"fresh database {DB}; private Redis on 127.0.0.1:{REDIS_PORT}")
    stack.fresh_database(DB)
    if redis("ping") != "PONG":
        redis_start()
    stack.prepare(env())
    stack.python(
        env(),
        "-m",
        "bench.seed",
        "--evaluations",
        "10",
        "--complaints",
        "10",
        "--cases",
        "10",
        "--staff",
        "70",
        "--out",
        str(VAR / "context.json"),
    )
    results = json.loads(results_file.read_text()) if results_file.exists() and args.only and not args.ci else {}
    try:
        for name in chosen:
            log(f"--- {name}")
            started = time.monotonic()
            try:
                result = SCENARIOS[name](args)
            except Exception as exc:
                result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[-2000:]}
            result["seconds"] = round(time.monotonic() - started, 1)
            results[name] = result
            log(
                f"{name}: {'OK' if result.get('ok') else 'FAILED'} "
                + json.dumps({k: v for k, v in result.items() if k not in ("driver", "by_status")})[:500]
            )
            results_file.write_text(json.dumps(results, indent=2))
    finally:
        redis_stop()
    if args.ci:
        # In CI every reminder must go out exactly once: a lost or doubled message fails the run.
        failed = [k for k, v in results.items() if not (v.get("exactly_once") if k in SMS_SCENARIOS else v.get("ok"))]
    else:
        from faults.report import write_doc

        write_doc(results, DOC, command="python faults/run.py " + " ".join(sys.argv[1:]))
        failed = [k for k, v in results.items() if not v.get("ok")]
    print(json.dumps({k: v.get("ok") for k, v in results.items()}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
