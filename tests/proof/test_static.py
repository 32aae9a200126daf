"""Static proof: no Celery ETA/countdown beyond 5 minutes, exactly one beat per deployment file.

A long countdown or ETA lives only in the broker: a Redis restart or a worker
that holds it past the visibility timeout loses or doubles it (STYLE.md). Work
that must wait longer is a row with a `send_after`/due time that a beat task
picks up. Two beat schedulers queue every periodic job twice.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MAX_DELAY_SECONDS = 5 * 60
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "migrations", "__pycache__", "docs", "static"}
# Celery's own default for retry_backoff_max is 600 s: a task with retry_backoff must cap it.
CELERY_DEFAULT_RETRY_BACKOFF_MAX = 600


def project_python_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS.intersection(rel.parts):
            continue
        if rel.parts[0] == "tests" and rel.parts[:2] == ("tests", "proof"):
            continue  # this file's own bad samples
        files.append(path)
    return files


def _const_seconds(node: ast.AST) -> float | None:
    """The value of a literal number, a timedelta(...) of literals, or min(..., literal); else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp):
        left, right = _const_seconds(node.left), _const_seconds(node.right)
        if left is not None and right is not None:
            try:
                return float(eval(compile(ast.Expression(node), "<expr>", "eval"), {"__builtins__": {}}))  # noqa: S307 - literal arithmetic only
            except Exception:
                return None
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name == "min":
            bounds = [b for b in (_const_seconds(a) for a in node.args) if b is not None]
            return min(bounds) if bounds else None
        if name == "timedelta":
            units = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
            total = 0.0
            for kw in node.keywords:
                value = _const_seconds(kw.value)
                if value is None or kw.arg not in units:
                    return None
                total += value * units[kw.arg]
            if node.args:
                return None
            return total
    return None


def long_delays(source: str, filename: str = "<src>") -> list[str]:
    """Every place in `source` where a Celery task could wait in the broker longer than 5 minutes."""
    problems: list[str] = []
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        attr = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        where = f"{filename}:{node.lineno}"
        if attr in {"apply_async", "retry", "signature", "s", "si", "set"}:
            if "eta" in kwargs:
                problems.append(f"{where}: {attr}(eta=...) — an ETA lives only in the broker")
            if "countdown" in kwargs:
                seconds = _const_seconds(kwargs["countdown"])
                if seconds is None or seconds > MAX_DELAY_SECONDS:
                    problems.append(
                        f"{where}: {attr}(countdown={ast.unparse(kwargs['countdown'])}) not provably ≤ 300 s"
                    )
        if attr in {"task", "shared_task"} or (isinstance(node.func, ast.Attribute) and node.func.attr == "task"):
            delay = kwargs.get("default_retry_delay")
            if delay is not None:
                seconds = _const_seconds(delay)
                if seconds is None or seconds > MAX_DELAY_SECONDS:
                    problems.append(f"{where}: default_retry_delay={ast.unparse(delay)} > 300 s")
            backoff = kwargs.get("retry_backoff")
            if backoff is not None and not (isinstance(backoff, ast.Constant) and backoff.value is False):
                # Celery waits factor * 2**n for retry n (n from 0), capped by retry_backoff_max.
                factor = 1.0 if isinstance(backoff, ast.Constant) and backoff.value is True else _const_seconds(backoff)
                retries = _const_seconds(kwargs["max_retries"]) if "max_retries" in kwargs else 3.0
                cap_node = kwargs.get("retry_backoff_max")
                cap = CELERY_DEFAULT_RETRY_BACKOFF_MAX if cap_node is None else _const_seconds(cap_node)
                longest = None
                if factor is not None and retries is not None:
                    longest = factor * 2 ** max(retries - 1, 0)
                    longest = longest if cap is None else min(longest, cap)
                elif cap is not None:
                    longest = cap
                if longest is None or longest > MAX_DELAY_SECONDS:
                    problems.append(
                        f"{where}: retry_backoff may wait {longest} s (> 300 s; cap it with retry_backoff_max)"
                    )
    return problems


def test_the_scanner_catches_long_delays():
    bad = """
from datetime import timedelta
task.apply_async((1,), countdown=3600)
task.apply_async((1,), countdown=delay)
task.apply_async((1,), eta=when)
self.retry(exc=exc, countdown=60 * 10)
t = task.s(1).set(countdown=timedelta(hours=1))
@shared_task(autoretry_for=(E,), retry_backoff=True, max_retries=20)
def f(): pass
@shared_task(default_retry_delay=900)
def g(): pass
"""
    assert len(long_delays(bad)) == 7, long_delays(bad)
    good = """
task.apply_async((1,), countdown=30)
self.retry(exc=exc, countdown=min(2 ** n, 300))
@shared_task(autoretry_for=(E,), retry_backoff=5, retry_backoff_max=60)
def f(): pass
@shared_task(autoretry_for=(E,), retry_backoff=True, max_retries=3)
def g(): pass
"""
    assert long_delays(good) == []


def _intake_webhook_backoff_is_capped() -> bool:
    from intake import services

    return (
        services.WEBHOOK_MAX_BACKOFF_SECONDS <= MAX_DELAY_SECONDS and services.backoff_seconds(50) <= MAX_DELAY_SECONDS
    )


# A computed countdown the AST cannot bound, with the runtime check that bounds it.
# Key: (file, text of the countdown expression). Better still: wrap it in min(..., 300) at the call.
BOUNDED_ELSEWHERE = {
    ("intake/tasks.py", "countdown"): _intake_webhook_backoff_is_capped,
}


def test_no_celery_eta_or_countdown_longer_than_five_minutes_anywhere():
    files = project_python_files()
    assert len(files) > 20, "the scan found too few files to mean anything"
    problems = []
    for path in files:
        rel = str(path.relative_to(ROOT))
        for problem in long_delays(path.read_text(encoding="utf-8"), rel):
            match = re.search(r"countdown=(\w+)\)", problem)
            check = BOUNDED_ELSEWHERE.get((rel, match.group(1) if match else ""))
            if check is not None and check():
                continue
            problems.append(problem)
    assert problems == [], "\n".join(problems)


# --- Exactly one beat in every deployment file -----------------------------------------------------

BEAT_RE = re.compile(r"\bcelery\b.*\bbeat\b|\bworker\b.*(\s-B\b|--beat\b)")


def beats_in_compose(text: str) -> int:
    data = yaml.safe_load(text)
    count = 0
    for service in (data.get("services") or {}).values():
        command = service.get("command") or ""
        command = " ".join(command) if isinstance(command, list) else str(command)
        if BEAT_RE.search(command):
            replicas = ((service.get("deploy") or {}).get("replicas")) or 1
            count += int(replicas)
    return count


def beats_in_procfile(text: str) -> int:
    return sum(1 for line in text.splitlines() if ":" in line and BEAT_RE.search(line.split(":", 1)[1]))


def test_the_beat_counters_can_fail():
    two = "services:\n  a: {command: celery -A x beat}\n  b: {command: [celery, -A, x, worker, -B]}\n"
    assert beats_in_compose(two) == 2
    scaled = "services:\n  beat: {command: celery -A x beat, deploy: {replicas: 2}}\n"
    assert beats_in_compose(scaled) == 2
    assert beats_in_procfile("worker: celery -A x worker --beat\nbeat: celery -A x beat\n") == 2


DEPLOYMENT_FILES = ["docker-compose.yml", "Procfile.dev", "Procfile", "docker-compose.prod.yml", "compose.yml"]


@pytest.mark.parametrize("name", DEPLOYMENT_FILES)
def test_exactly_one_beat_in_every_deployment_file(name):
    path = ROOT / name
    if not path.exists():
        pytest.skip(f"{name} does not exist")
    text = path.read_text(encoding="utf-8")
    count = beats_in_compose(text) if name.endswith((".yml", ".yaml")) else beats_in_procfile(text)
    assert count == 1, f"{name} runs {count} beat schedulers"


def test_the_deployment_files_exist():
    assert (ROOT / "docker-compose.yml").exists()
    assert (ROOT / "Procfile.dev").exists()
