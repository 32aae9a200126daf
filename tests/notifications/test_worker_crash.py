"""A real Celery worker dies mid-send; the reaper and the next worker still get the SMS out.

Everything runs in separate processes against a file SQLite database and the
filesystem broker, as `make run` does. The file backend's lines are the
provider's view: the crash comes after the line is written and before the row
says SENT, and the reaper, asking the file backend what it already has,
records the message sent instead of writing it a second time.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "drill:crash:1"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "SMS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.notifications.fault_settings",
        GOVSERVICE_VAR_DIR=str(tmp_path / "var"),
        GOVSERVICE_TESTING="1",
        SECRET_KEY="drill-only",
        DATABASE_URL=f"sqlite:///{tmp_path / 'drill.sqlite3'}",
        CELERY_BROKER_URL="filesystem://",
        SMS_FILE_PATH=str(tmp_path / "sms"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _django(env: dict[str, str], code: str) -> str:
    script = "import django; django.setup()\n" + code
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _row(tmp_path: Path) -> dict:
    """Read the outbox row straight from the file (a Django process per poll would take seconds)."""
    with sqlite3.connect(tmp_path / "drill.sqlite3", timeout=20) as db:
        status, attempts, retries, dup, handed = db.execute(
            "SELECT status, attempts, retries, possible_duplicates, handed_over_at"
            " FROM notifications_smsmessage WHERE key = ?",
            (KEY,),
        ).fetchone()
    return {"status": status, "attempts": attempts, "retries": retries, "dup": dup, "handed": handed is not None}


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "govservice", "worker", "--pool=solo", "--loglevel=WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_a_real_worker_killed_after_the_hand_over_is_settled_and_the_message_goes_out_once(tmp_path):
    """Slow by nature (~30 s: several Django processes and two worker start-ups)."""
    env = _env(tmp_path)
    dispatch = "from notifications.tasks import sms_dispatch_task; print(sms_dispatch_task())"
    lines = tmp_path / "sms" / "sms.jsonl"
    first = _worker(env)  # starts up while the database is built
    try:
        migrate = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--run-syncdb", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        # A night-allowed template, so the drill runs at any hour; then one beat run claims the
        # message and puts one send task on the broker.
        _django(
            env,
            "from notifications import services\n"
            "services.sms_template_publish(code='drill', name='drill', sign_name='演练', provider_template_id='T',"
            " param_names=['n'], text='演练{n}', allow_night=True)\n"
            f"services.sms_enqueue(key={KEY!r}, phone='13912345678', template_code='drill', params={{'n': 1}})\n"
            + dispatch,
        )
        first.wait(timeout=60)  # the worker dies in the middle of the send
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 1
    row = _row(tmp_path)
    assert (row["status"], row["handed"]) == ("sending", True)

    second = _worker(env)
    try:
        time.sleep(2.5)  # past SMS_SENDING_TIMEOUT_SECONDS
        # The reaper, run twice: it takes the message back once. Then the beat task, run twice.
        out = _django(
            env, "from notifications.tasks import sms_reap_task as r; print(r(), r())\n" + dispatch + "\n" + dispatch
        )
        assert out.splitlines()[0] == "1 0"
        assert _row(tmp_path)["status"] == "sent"  # settled by the reaper, not by a second send
        _django(env, dispatch)  # a later beat run sends nothing more
        time.sleep(1.5)
    finally:
        second.terminate()
        second.wait(timeout=30)

    row = _row(tmp_path)
    assert row == {"status": "sent", "attempts": 1, "retries": 0, "dup": 0, "handed": True}
    handed_over = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [line["key"] for line in handed_over] == [KEY]  # the provider saw it once
    assert "13912345678" not in lines.read_text()
