"""Write docs/reliability.md's measured part from faults/results.json (the notes around it are kept)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

START, END = "<!-- faults:generated:start -->", "<!-- faults:generated:end -->"

HEADER = """# Reliability: fault tests

`make faults` (faults/run.py) starts the real stack — PostgreSQL, a private Redis on 127.0.0.1:6391 (no
persistence), a private PostgreSQL on 127.0.0.1:5442 for the restart scenario, gunicorn, Celery workers and beats, with DEBUG off — breaks it, and counts. Loopback only; every
loop is bounded in count and time. The reaper's time-out is shortened to 15 s (`faults/settings.py`) so that a
run takes minutes; production keeps 600 s.

What is counted after each scenario: every due reminder sent exactly once (lines in the file backend per
outbox key vs rows in the outbox), nothing left in "sending" after the reaper's interval, every request
answered 2xx has its row, the app answers again without a restart.

"""


def _sms(r: dict) -> str:
    return (
        f"{r.get('messages')} due; {r.get('sent_rows')} rows sent; {r.get('file_lines')} file lines for "
        f"{r.get('distinct_sent')} keys; lost {r.get('lost')}; doubled {r.get('doubled')} (recorded as possible "
        f"duplicates: {r.get('possible_duplicates_recorded')}); settled from the provider's record "
        f"{r.get('settled_from_provider', 0)}; stuck in sending {r.get('stuck_sending')}"
    )


def describe(name: str, r: dict) -> tuple[str, str]:
    if "error" in r:
        return name, "error: " + r["error"][:300]
    if name == "kill9_worker":
        return (
            "kill -9 the Celery worker mid-batch",
            f"killed after {r['killed_after_sent']} sent; new worker started; " + _sms(r),
        )
    if name == "redis_restart":
        return (
            "restart Redis during dispatch (queued tasks dropped)",
            f"restarted after {r['restarted_after_sent']} sent; worker restarted by the supervisor "
            f"{r.get('worker_restarts', 0)} times; " + _sms(r),
        )
    if name == "two_beats":
        return "two beat schedulers at once", _sms(r)
    if name == "visibility":
        return (
            "send task outliving the visibility timeout (8 s send, 3 s timeout)",
            f"{r['send_tasks_received']} send tasks received for {r['messages']} messages "
            f"in {r.get('send_tasks', '?')} batches ({r['redelivered']} redelivered); " + _sms(r),
        )
    if name == "pg_terminate":
        return (
            "pg_terminate_backend every second under intake POST load",
            f"{r['requests']} requests {r['statuses']}; {r['backends_terminated']} backends terminated; "
            f"{r['answered_2xx']} answered 2xx, {r['2xx_without_row']} of them without a row; afterwards "
            f"{r['after_2xx']}/{r['after_requests']} answered 2xx without a restart",
        )
    if name == "pg_restart":
        return (
            "PostgreSQL crash-restart (pg_ctl -m immediate) under intake POST load and dispatch",
            f"restarted in {r['restart_seconds']} s with {r['reminders_sent_at_restart']} reminders sent; "
            f"{r['requests']} requests {r['statuses']}; {r['answered_2xx']} answered 2xx, {r['2xx_without_row']} "
            f"of them without a row; afterwards {r['after_2xx']}/{r['after_requests']} answered 2xx without a "
            f"restart; worker restarts {r['worker_restarts']}; " + _sms(r),
        )
    if name == "web_node_dies":
        proxy = r.get("proxy", {})
        return (
            "one of two web nodes killed -9 under intake POST load (round-robin proxy, faults/proxy.py)",
            f"killed after {r['requests_before_kill']} requests; {r['requests']} requests {r['statuses']}; the "
            f"proxy sent {proxy.get('sent_to_next_backend', '?')} refused connections to the other node and "
            f"answered {proxy.get('bad_gateway_after_send', '?')} with 502 (the node died holding them, never "
            f"acknowledged); the client sent {r['retried_by_client']} unanswered requests again with their "
            f"Idempotency-Key: {r['retry_statuses']}; {r['answered_2xx']} answered 2xx, {r['2xx_without_row']} "
            f"of them without a row, {r['doubled_rows']} doubled; afterwards {r['after_2xx']}/{r['after_requests']} "
            "answered 2xx by the surviving node",
        )
    return name, json.dumps(r)[:300]


def write_doc(results: dict, doc: Path, *, command: str) -> None:
    lines = [
        START,
        "",
        f"Measured {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {os.cpu_count()} cores "
        f"(load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}). Command: `{command}`.",
        "",
        "| scenario | what was counted | verdict | seconds |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        title, text = describe(name, r)
        verdict = "exactly once" if r.get("exactly_once") else ("ok" if r.get("ok") else "**FAILED**")
        lines.append(f"| {title} | {text} | {verdict} | {r.get('seconds', '')} |")
    lines += ["", END]
    text = doc.read_text() if doc.exists() else HEADER + START + "\n" + END + "\n"
    if START not in text:
        text += "\n" + START + "\n" + END + "\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(head + "\n".join(lines) + tail)
