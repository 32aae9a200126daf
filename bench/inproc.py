"""In-process figures against the bench database: query counts (CaptureQueriesContext),
the monthly service-star run, the SMS dispatch driver and the key rotation. Prints one JSON line.

    python -m bench.inproc querycounts CONTEXT.json
    python -m bench.inproc scoring CONTEXT.json --runs 3
    python -m bench.inproc dispatch CONTEXT.json --messages 10000 --tag run1 --timeout 300
    python -m bench.inproc rotation-seed CONTEXT.json --rows 1000000   (then rotation-run, rotation-cleanup)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def _client(session: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session
    return client


def _request_overhead(sql: str) -> bool:
    """The session, the logged-in user and their roles: loaded once per request by the middleware/auth."""
    return (
        sql.startswith('SELECT "django_session"')
        or (sql.startswith('SELECT "staff_user"."id"') and 'WHERE "staff_user"."id" =' in sql)
        or sql.startswith(
            'SELECT "staff_staffrole"."role" AS "role" FROM "staff_staffrole" WHERE "staff_staffrole"."user_id" ='
        )
    )


def count_queries(client: Client, url: str) -> dict:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_ACCEPT="application/json")
    rows = None
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = len(data["results"])
    # Session and user loads are the middleware's, the same on every page: counted apart.
    own = [q for q in ctx.captured_queries if not _request_overhead(q["sql"])]
    return {
        "url": url,
        "status": response.status_code,
        "queries": len(ctx.captured_queries),
        "queries_excluding_session_and_user": len(own),
        "rows": rows,
        "sql": [q["sql"][:200] for q in ctx.captured_queries],
    }


def querycounts(context: dict) -> dict:
    from django.urls import NoReverseMatch, reverse

    big, small = _client(context["leader_session"]), _client(context["small_leader_session"])
    out: dict = {}

    def url(name: str, *args) -> str | None:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return None

    if detail := url("api:case-detail", context["case_public_id"]):
        out["case_detail"] = count_queries(big, detail)
    lists = {}
    for name in [
        "api:case-list",
        "api:ledger-problem-list",
        "api:complaints-complaint-list",
        "api:complaints-evaluation-list",
        "api:notifications-sms-list",
    ]:
        if target := url(name):
            lists[name] = {"many": count_queries(big, target), "one": count_queries(small, target)}
    out["lists"] = lists
    dashboards = {}
    for name in ["api:ledger-dashboard", "dashboard:dashboard"]:
        if target := url(name):
            dashboards[name] = count_queries(big, target)
    out["dashboard"] = dashboards
    return out


def scoring(context: dict, runs: int) -> dict:
    from datetime import date

    from govservice.models import Centre
    from staff.models import User

    try:
        from development.scoring import scoring_run_month
    except ImportError:
        return {"skipped": "development.scoring.scoring_run_month not found"}
    centre = Centre.objects.get(id=context["centre_id"])
    actor = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        username="bench-admin", password=None, name="基准管理员"
    )
    from django.utils import timezone as tz

    today = tz.localdate()
    month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)  # last month
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            scoring_run_month(centre=centre, month=month, actor=actor)
        seconds.append(time.perf_counter() - started)
    from complaints.models import Evaluation

    return {
        "seconds": seconds,
        "queries": len(ctx.captured_queries),
        "staff": User.objects.filter(centre=centre).count(),
        "evaluations_in_month": Evaluation.objects.filter(
            centre=centre, rated_at__year=month.year, rated_at__month=month.month
        ).count(),
        "evaluations_total": Evaluation.objects.count(),
        "month": month.isoformat(),
    }


def sms_seed(*, tag: str, messages: int) -> list[str]:
    """N due messages under keys bench-<tag>-<i>, distinct numbers, a template allowed at night."""
    from django.utils import timezone

    from govservice.crypto import lookup_hash
    from notifications.models import SmsMessage, SmsTemplate

    SmsTemplate.objects.filter(code="evaluation_invite").update(allow_night=True)
    now = timezone.now()
    rows = []
    for i in range(messages):
        phone = f"139{i % 100_000_000:08d}"
        rows.append(
            SmsMessage(
                key=f"bench-{tag}-{i}",
                phone=phone,
                phone_hash=lookup_hash(phone),
                template_code="evaluation_invite",
                params={"tracking_no": f"GS{i:08d}", "url": "https://example.invalid/e"},
                send_after=now,
                status=SmsMessage.Status.QUEUED,
            )
        )
    SmsMessage.objects.bulk_create(rows, batch_size=2000)
    return [r.key for r in rows]


def sms_count(*, tag: str) -> dict:
    from django.db.models import Count

    from notifications.backends.file import outbox_file
    from notifications.models import SmsEvent, SmsMessage

    prefix = f"bench-{tag}-"
    by_status = dict(SmsMessage.objects.filter(key__startswith=prefix).values_list("status").annotate(n=Count("id")))
    lines: dict[str, int] = {}
    path = outbox_file()
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if prefix in line:
                    key = json.loads(line).get("key", "")
                    if key.startswith(prefix):
                        lines[key] = lines.get(key, 0) + 1
    return {
        "by_status": by_status,
        "file_lines": sum(lines.values()),
        "distinct_sent": len(lines),
        "doubled": sum(1 for n in lines.values() if n > 1),
        "possible_duplicates_recorded": sum(
            SmsMessage.objects.filter(key__startswith=prefix).values_list("possible_duplicates", flat=True)
        ),
        # Hand-overs whose worker died, settled from the provider's own record instead of being sent again.
        "settled_from_provider": SmsEvent.objects.filter(
            message__key__startswith=prefix, kind=SmsEvent.Kind.RECONCILED
        ).count(),
    }


def dispatch(*, tag: str, messages: int, timeout: float, limit: int) -> dict:
    """Seed N due messages, then claim them as fast as the beat task would if it ran back to back,
    while the real worker sends them; time until every row is SENT."""
    from notifications.models import SmsMessage
    from notifications.services import sms_claim_due

    sms_seed(tag=tag, messages=messages)
    prefix = f"bench-{tag}-"
    started = time.monotonic()
    deadline = started + timeout
    claims = 0
    while time.monotonic() < deadline:
        result = sms_claim_due(limit=limit)
        claims += 1
        if not result.claimed and not result.deferred:
            break
    claimed_at = time.monotonic()
    sent = 0
    while time.monotonic() < deadline:
        sent = SmsMessage.objects.filter(key__startswith=prefix, status__in=["sent", "delivered"]).count()
        if sent >= messages:
            break
        time.sleep(0.2)
    finished = time.monotonic()
    counts = sms_count(tag=tag)
    return {
        "messages": messages,
        "claim_calls": claims,
        "claim_seconds": round(claimed_at - started, 3),
        "seconds": round(finished - started, 3),
        "per_second": round(sent / (finished - started), 1) if finished > started else None,
        "sent": sent,
        "lost": messages - counts["distinct_sent"],
        **counts,
    }


ROTATION_PREFIX = "bench-rotation-"


def rotation_seed(*, rows: int) -> dict:
    """N SMS rows (an encrypted phone and its lookup hash) under the bench's own key, 10,000 at a time."""
    from django.utils import timezone

    from govservice.crypto import lookup_hash
    from notifications.models import SmsMessage

    # Only the ids are loaded to delete (an earlier run may have left the phones under another key).
    SmsMessage.objects.filter(key__startswith=ROTATION_PREFIX).only("pk").delete()
    started, now = time.monotonic(), timezone.now()
    for start in range(0, rows, 10_000):
        batch = []
        for i in range(start, min(rows, start + 10_000)):
            phone = f"138{i % 100_000_000:08d}"
            batch.append(
                SmsMessage(
                    key=f"{ROTATION_PREFIX}{i}",
                    phone=phone,
                    phone_hash=lookup_hash(phone),
                    template_code="evaluation_invite",
                    params={},
                    send_after=now,
                    status=SmsMessage.Status.CANCELLED,
                )
            )
        SmsMessage.objects.bulk_create(batch, batch_size=2000)
    return {"seeded": rows, "seconds": round(time.monotonic() - started, 1)}


def rotation_run(*, batch_size: int) -> dict:
    """Rotate the SMS table (every row: the seeded ones and the bench's own) to the keys in the environment;
    rows/s and the process's peak resident memory, which the batch size bounds whatever the row count."""
    import resource

    from govservice import keyrotation
    from notifications.models import SmsMessage

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    plans = [plan for plan in keyrotation.discover() if plan.model is SmsMessage]
    started = time.monotonic()
    report = keyrotation.rotate(plans=plans, batch_size=batch_size)
    seconds = time.monotonic() - started
    return {
        "rows": report.rows,
        "batch_size": batch_size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(report.rows / seconds, 1) if seconds > 0 else None,
        "changed": {c.column: c.changed for c in report.columns},
        "unreadable": len(report.unreadable),
        "peak_rss_mib_before": round(rss_before / 1024, 1),  # ru_maxrss is in KiB on Linux
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


EXPORT_PREFIX = "bench-export-"
EXPORT_PHONES = 1000  # distinct phone numbers the seeded rows cycle through (each encrypted once, in Python)


def export_seed(*, rows: int, small: int) -> dict:
    """N SMS rows for the export figure in one INSERT … SELECT over generate_series (PostgreSQL): 1 M rows in
    well under a minute, where the ORM's bulk_create would encrypt every phone. The first `small` rows are
    "failed", the rest "cancelled", so one seed serves both runs (the outbox's status filter picks the small
    one). The phones cycle through EXPORT_PHONES values, each encrypted and hashed by the model's own fields;
    every other column gets its field's default, so the rows are what the application would write."""
    from django.db import connection
    from django.utils import timezone

    from notifications.models import SmsMessage

    if connection.vendor != "postgresql":
        raise SystemExit("export-seed needs PostgreSQL (generate_series)")
    started = time.monotonic()
    table = SmsMessage._meta.db_table
    phone_field, hash_field = SmsMessage._meta.get_field("phone"), SmsMessage._meta.get_field("phone_hash")
    phones = [f"139{i:08d}" for i in range(EXPORT_PHONES)]
    ciphers = [phone_field.get_db_prep_save(p, connection) for p in phones]
    from govservice.crypto import lookup_hash

    hashes = [lookup_hash(p) for p in phones]
    now = timezone.now()
    # Column → (SQL over the series' `i` and the phone arrays `p`, its parameters).
    exprs: dict[str, tuple[str, list[Any]]] = {
        "key": (f"'{EXPORT_PREFIX}' || i", []),
        str(phone_field.column): (f"p.phones[1 + i %% {EXPORT_PHONES}]", []),
        str(hash_field.column): (f"p.hashes[1 + i %% {EXPORT_PHONES}]", []),
        "template_code": ("'evaluation_invite'", []),
        "status": ("CASE WHEN i < %s THEN 'failed' ELSE 'cancelled' END", [small]),
        "send_after": ("%s - i * interval '1 second'", [now]),
        "last_error": ("CASE WHEN i < %s THEN 'gateway timeout' ELSE '' END", [small]),
    }
    columns: list[str] = []
    selects: list[str] = []
    ordered: list[Any] = []
    for field in SmsMessage._meta.concrete_fields:
        if field.primary_key:
            continue
        column = str(field.column)
        columns.append(connection.ops.quote_name(column))
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            exprs[column] = ("%s", [now])
        expr, params = exprs.get(column, ("%s", [field.get_db_prep_save(field.get_default(), connection)]))
        selects.append(expr)
        ordered += params
    # Names from the model's own meta; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM generate_series(0, %s - 1) AS i, "
        f"(SELECT %s::text[] AS phones, %s::text[] AS hashes) AS p"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE key LIKE %s", [EXPORT_PREFIX + "%"])  # noqa: S608
        cursor.execute(sql, [*ordered, rows, ciphers, hashes])
        cursor.execute(f"ANALYZE {table}")
    return {"seeded": rows, "small": small, "seconds": round(time.monotonic() - started, 1)}


def export_cleanup() -> dict:
    from django.db import connection

    from notifications.models import SmsMessage

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {SmsMessage._meta.db_table} WHERE key LIKE %s", [EXPORT_PREFIX + "%"])  # noqa: S608
        return {"deleted": cursor.rowcount}


def export_run(*, status: str = "") -> dict:
    """The SMS outbox as a background export (govservice/exports), made here in-process by the Celery task
    itself (`export_run_task`, applied eagerly: the worker's code path without the broker): rows/s and the
    process's peak resident memory, which streaming keeps flat whatever the row count."""
    import resource

    from django.utils import timezone

    from govservice.models import ExportJob
    from govservice.tasks import export_run_task
    from staff.models import User

    exporter, _ = User.objects.get_or_create(
        username="bench-exporter", defaults={"name": "bench", "is_superuser": True}
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    job = ExportJob.objects.create(
        kind="sms_outbox",
        title="bench",
        params={"status": status} if status else {},
        requested_by=exporter,
        token=secrets.token_urlsafe(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    started = time.monotonic()
    outcome = export_run_task.apply(args=[job.id]).get()
    seconds = time.monotonic() - started
    job.refresh_from_db()
    size = job.file.size if job.file else 0
    if job.file:
        job.file.delete(save=False)
    job.delete()
    return {
        "status": outcome,
        "error": job.error,
        "rows": job.rows_done,
        "seconds": round(seconds, 2),
        "rows_per_second": round(job.rows_done / seconds, 1) if seconds > 0 else None,
        "file_mib": round(size / 1024 / 1024, 1),
        "peak_rss_mib_before": round(rss_before / 1024, 1),  # ru_maxrss is in KiB on Linux
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def rotation_cleanup() -> dict:
    """Delete the seeded rows; the caller then rotates the rest back to the bench's own key."""
    from notifications.models import SmsMessage

    deleted, _ = SmsMessage.objects.filter(key__startswith=ROTATION_PREFIX).only("pk").delete()
    return {"deleted": deleted}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command",
        choices=[
            "querycounts",
            "scoring",
            "dispatch",
            "sms-seed",
            "sms-count",
            "rotation-seed",
            "rotation-run",
            "rotation-cleanup",
            "export-seed",
            "export-run",
            "export-cleanup",
        ],
    )
    parser.add_argument("context")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--tag", default="run")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--small", type=int, default=0)
    parser.add_argument("--status", default="")
    args = parser.parse_args()
    context = json.loads(Path(args.context).read_text()) if Path(args.context).exists() else {}
    if args.command == "querycounts":
        result = querycounts(context)
    elif args.command == "scoring":
        result = scoring(context, args.runs)
    elif args.command == "dispatch":
        result = dispatch(tag=args.tag, messages=args.messages, timeout=args.timeout, limit=args.limit)
    elif args.command == "rotation-seed":
        result = rotation_seed(rows=args.rows)
    elif args.command == "rotation-run":
        result = rotation_run(batch_size=args.batch_size)
    elif args.command == "rotation-cleanup":
        result = rotation_cleanup()
    elif args.command == "export-seed":
        result = export_seed(rows=args.rows, small=args.small)
    elif args.command == "export-run":
        result = export_run(status=args.status)
    elif args.command == "export-cleanup":
        result = export_cleanup()
    elif args.command == "sms-seed":
        result = {"seeded": len(sms_seed(tag=args.tag, messages=args.messages))}
    else:
        result = sms_count(tag=args.tag)
    print("RESULT " + json.dumps(result, default=str))


if __name__ == "__main__":
    main()
