"""Start and stop the real stack on loopback for `make bench` and `make faults`:
PostgreSQL and Redis (system services), gunicorn (sync workers), a Celery worker.

Every wait here is bounded in time; every process started is stopped by its own pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def stack_env(*, db: str, var_dir: Path, redis_db: int = 5, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) on loopback with test-only secrets."""
    env = {k: v for k, v in os.environ.items() if k not in {"GOVSERVICE_TESTING", "CELERY_TASK_ALWAYS_EAGER"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-not-for-production-0123456789abcdefghijkl",  # noqa: S106
        FIELD_ENCRYPTION_KEY="bench-only-field-key",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=PG_URL.format(db=db),
        CELERY_BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db + 1}",
        CACHE_KEY_PREFIX=f"{db}-{os.getpid()}",
        GOVSERVICE_VAR_DIR=str(var_dir),
        STATIC_ROOT=str(var_dir / "static"),
        SMS_FILE_PATH=str(var_dir / "sms"),
        SMS_BACKEND="notifications.backends.file.FileBackend",
        SMS_DAILY_CAP_PER_NUMBER="0",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_HSTS_PRELOAD="0",
        LOG_LEVEL="WARNING",
        BENCH_BASELINE="1",
        PYTHONPATH=str(ROOT),
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )
    env.update(extra)
    return env


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], check=False).returncode == 0


def redis_cli(*args: str, timeout: float = 10) -> str:
    out = subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return out.stdout.strip()


def redis_up() -> bool:
    try:
        return redis_cli("ping", timeout=3) == "PONG"
    except subprocess.TimeoutExpired:
        return False


def start_redis() -> None:
    """Start a loopback Redis with no persistence (as .ci/run does) and wait for it (≤ 30 s)."""
    Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
    Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
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
            "/var/lib/redis",
            "--logfile",
            "/var/log/redis/bench.log",
        ],
        check=False,
    )
    wait_for(redis_up, 30, "redis")


def ensure_services() -> None:
    if not pg_up() and Path("/etc/postgresql").is_dir():
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
        wait_for(pg_up, 30, "postgresql")
    if not redis_up():
        start_redis()
    if not pg_up() or not redis_up():
        sys.exit("PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are needed")


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (Debian package)")
        subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk")
    return found


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise TimeoutError(f"{what} not ready after {seconds} s")


def fresh_database(db: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", db], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db], check=True)


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    out = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out.stdout


def prepare(env: dict[str, str]) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")


def python(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    out = subprocess.run([PY, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-4000:]}")
    return out.stdout


class Proc:
    """A child process in its own process group, stopped by its pid."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logfile: Path, cwd: Path = ROOT) -> None:
        self.name = name
        logfile.parent.mkdir(parents=True, exist_ok=True)
        self.log = logfile.open("ab")
        self.popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole group (a prefork worker's children too), as a crash would."""
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
        self.log.close()


def start_gunicorn(env: dict[str, str], *, workers: int, port: int, logdir: Path) -> Proc:
    proc = Proc(
        f"gunicorn-{workers}",
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
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
        env,
        logdir / f"gunicorn-{workers}.log",
    )
    wait_for(lambda: _http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "gunicorn")
    return proc


def start_reference(env: dict[str, str], *, db: str, workers: int, port: int, logdir: Path) -> Proc:
    """The plain reference project (bench/reference/) on a fresh database of its own, served as the project
    is (gunicorn sync workers), from its own directory so that no gunicorn.conf.py of the project applies."""
    fresh_database(db)
    ref_dir = ROOT / "bench" / "reference"
    ref_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "reference.settings",
        "REFERENCE_DATABASE_URL": PG_URL.format(db=db),
        "PYTHONPATH": str(ref_dir),
    }
    out = subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ref_dir,
        env=ref_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"reference migrate failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    proc = Proc(
        f"reference-{workers}",
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "reference.wsgi:application",
        ],
        ref_env,
        logdir / f"reference-{workers}.log",
        cwd=ref_dir,
    )
    wait_for(lambda: _http_status(f"http://127.0.0.1:{port}/insert/") == 405, 60, "reference gunicorn")
    return proc


def start_worker(env: dict[str, str], *, logdir: Path, name: str = "worker", concurrency: int = 2) -> Proc:
    proc = Proc(
        name,
        [
            str(VENV_BIN / "celery"),
            "-A",
            "govservice",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
        ],
        env,
        logdir / f"{name}.log",
    )
    time.sleep(4)  # prefork children up and consuming
    return proc


def start_beat(env: dict[str, str], *, logdir: Path, name: str, schedule: Path) -> Proc:
    return Proc(
        name,
        [str(VENV_BIN / "celery"), "-A", "govservice", "beat", "--loglevel=WARNING", f"--schedule={schedule}"],
        env,
        logdir / f"{name}.log",
    )


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback only
            return response.status == 200
    except Exception:
        return False


def _http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except Exception:
        return None


def purge_broker(redis_db: int) -> None:
    redis_cli("-n", str(redis_db), "FLUSHDB")
