"""The monthly service-star run at province scale (issue 21: 5,000 staff in ≤ 10 s).

    python -m bench.scoring_scale --db scoring_scale --staff 5000 --centres 100 \
        --evaluations 830000 --complaints 170000 --cases 83000 --runs 3 --out bench/results/scoring_scale.json

Seeds one month (last month, the one the first-working-day beat computes) at province volume into
the PostgreSQL database named by --db (created and migrated when absent; re-seeded only when its
size differs), with a few thousand ORM rows (centres, staff, schemes) and INSERT … SELECT …
generate_series for the volume; then times

- the province run: every centre, exactly as the beat task runs it (`scoring_monthly_run`, the
  body of development.tasks.scoring_monthly_task, reads inside `use_replica()`), and
- one centre (`scoring_run_month`),

with the statement count (CaptureQueriesContext) and, with --profile, the slowest statements
EXPLAIN ANALYZEd and the top of a cProfile.

bench/run.py runs it as a child process (`stack.python(env, "-m", "bench.scoring_scale", ...)`) and reads
the last line, `RESULT {json}`, as it reads bench.inproc's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/{db}")
PREFIX = "scale"  # codes of the seeded centres: scale000 …


def _setup(db: str | None) -> None:
    """Point Django at `db` (when given) with bench-only secrets, then set it up."""
    sys.path.insert(0, str(ROOT))
    if db:
        os.environ["DATABASE_URL"] = PG_URL.format(db=db)
        os.environ.pop("DATABASE_REPLICA_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdefghijkl")
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", "bench-only-field-key")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _ensure_database(db: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_URL.format(db="postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{db}"')
    finally:
        conn.close()


def _month() -> date:
    from django.utils import timezone

    from development.models import month_start, previous_month

    return previous_month(month_start(timezone.localdate()))


# --- seeding ---------------------------------------------------------------------------------------


def _wanted(args: argparse.Namespace) -> dict[str, int]:
    return {
        "centres": args.centres,
        "staff": args.staff,
        "evaluations": args.evaluations,
        "complaints": args.complaints,
        "cases": args.cases,
        "history_months": args.history_months,
        "case_history_months": args.case_history_months,
    }


def seed(args: argparse.Namespace) -> dict[str, Any]:
    """One month at the asked volume (plus `history_months` earlier months of the same volume)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from cases.models import MatterType
    from complaints.models import Channel, Complaint
    from development.models import ManualEntry, ScoringRun, SpotCheck, StaffLeave
    from development.scoring.defaults import scheme_create_default
    from govservice.crypto import lookup_hashes
    from govservice.models import Centre
    from staff.models import PositionType, Role, StaffRole, User, Window

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_scoring_scale (seeded jsonb NOT NULL)")
        cursor.execute("SELECT seeded FROM bench_scoring_scale")
        row = cursor.fetchone()
    wanted = {**_wanted(args), "month": _month().isoformat()}
    seeded = json.loads(row[0]) if row and isinstance(row[0], str) else (row[0] if row else None)
    if seeded == wanted and not args.reseed:
        return {"seeded": False, "seed_seconds": 0.0}
    started = time.perf_counter()
    month = _month()
    per_centre = args.staff // args.centres
    with transaction.atomic():
        with connection.cursor() as cursor:
            # A fresh month: the volume tables and the runs are emptied (this database is the bench's own).
            cursor.execute(
                "TRUNCATE complaints_evaluation, complaints_complaint, cases_case, staff_staffmonthscore, "
                "bench_scoring_scale CASCADE"
            )
        ScoringRun.objects.all().delete()
        SpotCheck.objects.all().delete()
        ManualEntry.objects.all().delete()
        StaffLeave.objects.all().delete()
        channel, _ = Channel.objects.get_or_create(
            code="scale-device", defaults={"name": "评价器", "kind": Channel.Kind.WINDOW_DEVICE}
        )
        centres = list(Centre.objects.filter(code__startswith=PREFIX).order_by("code"))
        for i in range(len(centres), args.centres):
            centres.append(
                Centre.objects.create(code=f"{PREFIX}{i:03d}", name=f"基准中心{i:03d}", tracking_prefix=f"SC{i:03d}")
            )
        centres = centres[: args.centres]
        inspector, _ = User.objects.get_or_create(username="scale-inspector", defaults={"name": "督查"})
        staff_rows = []  # (centre index, k, staff id, window id, phone hash)
        for ci, centre in enumerate(centres):
            windows = list(Window.objects.filter(centre=centre).order_by("code"))
            if not windows:
                windows = Window.objects.bulk_create(
                    Window(centre=centre, code=f"W{w:02d}", name=f"{w}号窗口", kind=PositionType.COMPREHENSIVE)
                    for w in range(10)
                )
            MatterType.objects.get_or_create(
                centre=centre, code="scale", defaults={"name": "基准事项", "promised_days": 5}
            )
            people = list(User.objects.filter(centre=centre, username__startswith=f"{centre.code}-").order_by("id"))
            if len(people) < per_centre:
                people += User.objects.bulk_create(
                    User(
                        username=f"{centre.code}-{k:03d}",
                        name=f"窗口{ci:03d}{k:03d}",
                        staff_no=f"{ci:03d}{k:03d}",
                        password="!",  # noqa: S106 - the unusable-password marker
                        centre=centre,
                        window=windows[k % len(windows)],
                        mobile=f"139{ci:04d}{k:04d}",
                    )
                    for k in range(len(people), per_centre)
                )
                StaffRole.objects.bulk_create(
                    [StaffRole(user=u, role=Role.WINDOW_STAFF) for u in people], ignore_conflicts=True
                )
            for k, person in enumerate(people[:per_centre]):
                staff_rows.append((ci, k, person.id, person.window_id, lookup_hashes(person.mobile)[0]))
            scheme_create_default(centre=centre, valid_from=month.replace(year=month.year - 1), min_evaluations=10)
        matter_ids = dict(MatterType.objects.filter(code="scale").values_list("centre_id", "id"))
        spot, manual, leave = [], [], []
        for ci, k, staff_id, _window_id, _hash in staff_rows:
            centre = centres[ci]
            for n in range(3):
                spot.append(
                    SpotCheck(
                        centre=centre,
                        staff_id=staff_id,
                        inspector=inspector,
                        checked_at=_aware(month + timedelta(days=(k + 7 * n) % 27), 9 + n),
                        response_seconds=(8, 15, 25, 30, 45, 60)[(k + n) % 6],
                        etiquette_score=(7, 8, 9, 10)[(k * 3 + n) % 4],
                        notification_correct=(k + n) % 11 != 0,
                        discipline_violations=1 if (k + n) % 17 == 0 else 0,
                    )
                )
            manual.append(
                ManualEntry(
                    centre=centre,
                    staff_id=staff_id,
                    month=month,
                    indicator_code="quiz",
                    value=70 + (k * 7) % 31,
                    reason="月度业务知识测试",
                    author=inspector,
                )
            )
            if k % 9 == 0:
                leave.append(StaffLeave(centre=centre, staff_id=staff_id, month=month, days=k % 5 + 1, reason="年休"))
        SpotCheck.objects.bulk_create(spot, batch_size=5000)
        ManualEntry.objects.bulk_create(manual, batch_size=5000)
        StaffLeave.objects.bulk_create(leave, batch_size=5000)

        categories = [str(c) for c, _label in Complaint._meta.get_field("category").choices or ()]
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE scale_staff (ci int, k int, staff_id bigint, window_id bigint, centre_id bigint, "
                "matter_id bigint, phone_hash varchar(64), PRIMARY KEY (ci, k)) ON COMMIT DROP"
            )
            cursor.execute(
                "INSERT INTO scale_staff SELECT * FROM unnest(%s::int[], %s::int[], %s::bigint[], %s::bigint[], "
                "%s::bigint[], %s::bigint[], %s::varchar[])",
                [
                    [r[0] for r in staff_rows],
                    [r[1] for r in staff_rows],
                    [r[2] for r in staff_rows],
                    [r[3] for r in staff_rows],
                    [centres[r[0]].id for r in staff_rows],
                    [matter_ids[centres[r[0]].id] for r in staff_rows],
                    [r[4] for r in staff_rows],
                ],
            )
            for back in range(max(args.history_months, args.case_history_months), -1, -1):
                first = month
                for _ in range(back):
                    first = (first - timedelta(days=1)).replace(day=1)
                _seed_month(
                    cursor,
                    args,
                    first=first,
                    round_=back,
                    channel_id=channel.id,
                    categories=categories,
                    feedback=back <= args.history_months,
                )
            cursor.execute("INSERT INTO bench_scoring_scale VALUES (%s)", [json.dumps(wanted)])
    with connection.cursor() as cursor:
        # Statistics and the visibility map, as autovacuum leaves a closed month's pages by the 1st working day.
        for table in ("complaints_evaluation", "complaints_complaint", "cases_case"):
            cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 - our own table names
    return {"seeded": True, "seed_seconds": round(time.perf_counter() - started, 1)}


def _aware(day: date, hour: int) -> Any:
    from datetime import datetime
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    return datetime.combine(day, dtime(hour), ZoneInfo(settings.TIME_ZONE))


def _seed_month(
    cursor: Any,
    args: argparse.Namespace,
    *,
    first: date,
    round_: int,
    channel_id: int,
    categories: list[str],
    feedback: bool = True,
) -> None:
    """INSERT … SELECT generate_series: the month's cases and (with `feedback`) evaluations and complaints,
    spread over its seconds and over every centre's staff (row g goes to centre g % C, person (g / C) % per-centre)."""
    nxt = (first + timedelta(days=32)).replace(day=1)
    seconds = int((nxt - first).total_seconds()) - 1
    c = args.centres
    per = args.staff // args.centres
    start = f"'{first.isoformat()} 00:00'::timestamp AT TIME ZONE current_setting('TIMEZONE')"
    pick = f"JOIN scale_staff s ON s.ci = g % {c} AND s.k = (g / {c}) % {per}"
    at = f"{start} + ((g::bigint * 7919) % {seconds}) * interval '1 second'"
    cursor.execute("SET LOCAL TIMEZONE = 'Asia/Shanghai'")
    if feedback:
        _seed_feedback(cursor, args, at=at, pick=pick, round_=round_, channel_id=channel_id, categories=categories)
    _seed_cases(cursor, args, at=at, pick=pick, round_=round_)


def _seed_feedback(
    cursor: Any, args: argparse.Namespace, *, at: str, pick: str, round_: int, channel_id: int, categories: list[str]
) -> None:
    # Evaluations: mostly 5s and 4s, one in 40 bad, one in 97 verified invalid, one in 1,000 rated from the
    # member of staff's own phone (self-triggered: left out by the run).
    cursor.execute(
        f"""
        INSERT INTO complaints_evaluation (created_at, updated_at, public_id, level, text, tags, is_real_name,
            evaluator_name, evaluator_phone, evaluator_phone_hash, external_id, excluded, rated_at, centre_id,
            channel_id, staff_id, window_id, excluded_reason, text_sealed, device_hash, screening)
        SELECT t.at, t.at, gen_random_uuid(),
            CASE WHEN g % 40 = 0 THEN 1 + g % 2 WHEN g % 3 = 0 THEN 4 WHEN g % 11 = 0 THEN 3 ELSE 5 END,
            '', '[]'::jsonb, false, '', '',
            CASE WHEN g % 1000 = 0 THEN s.phone_hash ELSE '' END, '', g % 97 = 0, t.at, s.centre_id,
            {channel_id}, s.staff_id, s.window_id, '', '', '', ''
        FROM generate_series(1, {args.evaluations}) g {pick}
        CROSS JOIN LATERAL (SELECT {at} AS at) t
        """  # noqa: S608 - numbers and our own names only
    )
    cats = "ARRAY[" + ",".join(f"'{x}'" for x in categories) + "]"
    cursor.execute(
        f"""
        INSERT INTO complaints_complaint (created_at, updated_at, public_id, tracking_no, kind, content,
            contact_name, contact_phone, contact_phone_hash, category, status, external_id, received_at, centre_id,
            channel_id, staff_id, window_id, callback_note, reply, callback_note_sealed, content_sealed,
            reply_sealed, citizen_rating_note, citizen_reopen_reason, contact_other, is_anonymous, verdict,
            paused_from, reply_due_provisional, reply_paused_days, reply_warned_level)
        SELECT t.at, t.at, gen_random_uuid(), 'SCT{round_}-' || g, CASE WHEN g % 10 = 0 THEN 'suggestion'
            ELSE 'complaint' END, '', '', '', '', ({cats})[1 + g % {len(categories)}],
            CASE WHEN g % 50 = 0 THEN 'merged' ELSE 'closed' END, '', t.at, s.centre_id, {channel_id},
            s.staff_id, s.window_id, '', '', '', '', '', '', '', '', false,
            (ARRAY['founded', 'partly', 'unfounded', 'unfounded', ''])[1 + g % 5], '', false, 0, 0
        FROM generate_series(1, {args.complaints}) g {pick}
        CROSS JOIN LATERAL (SELECT {at} AS at) t
        """  # noqa: S608
    )


def _seed_cases(cursor: Any, args: argparse.Namespace, *, at: str, pick: str, round_: int) -> None:
    # Cases: accepted in the month; four in five completed (a few days later, one in eight after the due day).
    cursor.execute(
        f"""
        INSERT INTO cases_case (created_at, updated_at, public_id, tracking_no, applicant_kind, applicant_name,
            applicant_phone, applicant_phone_hash, applicant_id_number, applicant_id_hash, is_elderly, is_disabled,
            is_other_special, status, accepted_at, completed_at, due_date, centre_id, first_responder_id,
            handler_id, window_id, matter_type_id, referred_to, reject_reason, applicant_phone_last4)
        SELECT t.at, t.at, gen_random_uuid(), 'SCC{round_}-' || g, 'person', '', '', '', '', '', false, false, false,
            CASE WHEN g % 5 = 0 THEN 'in_process' ELSE 'completed' END, t.at,
            CASE WHEN g % 5 = 0 THEN NULL ELSE t.at + (g % 4) * interval '1 day' END,
            CASE WHEN g % 7 = 0 THEN NULL ELSE (t.at AT TIME ZONE 'Asia/Shanghai')::date
                + CASE WHEN g % 8 = 0 THEN 1 ELSE 5 END END,
            s.centre_id, s.staff_id, s.staff_id, s.window_id, s.matter_id, '', '', ''
        FROM generate_series(1, {args.cases}) g {pick}
        CROSS JOIN LATERAL (SELECT {at} AS at) t
        """  # noqa: S608
    )


# --- measuring -------------------------------------------------------------------------------------


def _results_digest() -> str:
    """A fingerprint of every score row of the month (to show a change left the results alone)."""
    import hashlib

    from development.models import IndicatorScore, StaffMonthScore

    month = _month()
    digest = hashlib.sha256()
    for row in (
        StaffMonthScore.objects.filter(run__month=month, run__centre__code__startswith=PREFIX)
        .order_by("run__centre__code", "staff__username")
        .values_list(
            "run__centre__code",
            "staff__username",
            "total",
            "evaluation_points",
            "evaluation_count",
            "cases_completed",
            "pending_complaints",
            "leave_days",
            "working_days",
            "ranked",
            "not_ranked_reason",
            "rank",
            "position",
            "is_star",
            "is_bottom",
        )
    ):
        digest.update(repr(row).encode())
    for line in (
        IndicatorScore.objects.filter(staff_score__run__month=month, staff_score__run__centre__code__startswith=PREFIX)
        .order_by("staff_score__run__centre__code", "staff_score__staff__username", "indicator__code")
        .values_list(
            "staff_score__run__centre__code",
            "staff_score__staff__username",
            "indicator__code",
            "value",
            "score",
            "source_count",
            "hit_count",
            "appeal_id",
        )
    ):
        digest.update(repr(line).encode())
    return digest.hexdigest()


def _explain(queries: list[dict], top: int) -> list[dict]:
    from django.db import connection

    slow = sorted(queries, key=lambda q: float(q.get("time") or 0), reverse=True)[:top]
    out = []
    for q in slow:
        sql = q["sql"]
        item: dict[str, Any] = {"ms": round(float(q["time"]) * 1000, 1), "sql": sql[:600]}
        if sql.lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                item["plan"] = [r[0] for r in cursor.fetchall()]
        out.append(item)
    return out


def _backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend of this connection has used (it runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vacuum_scores() -> None:
    """Clear the dead rows a previous timed run left (autovacuum would have, between two months' runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE staff_indicatorscore, staff_staffmonthscore, staff_scoringrun")


class _Clock:
    """Wall seconds, and the CPU seconds of this process and of its database backend: on a shared machine
    the CPU seconds are what the run costs, the wall seconds what it took under the others' load."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu, self.db_cpu = time.perf_counter(), time.process_time(), _backend_cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.db_cpu = _backend_cpu() - self.db_cpu


def measure(*, runs: int = 3, profile: bool = False, explain_top: int = 6) -> dict[str, Any]:
    """Time the province run (every centre, as the beat does) and one centre's run."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from development.models import ScoringRun
    from development.scoring import scoring_run_month
    from development.tasks import scoring_monthly_run
    from govservice.models import Centre

    month = _month()
    today = (month + timedelta(days=32)).replace(day=1)
    out: dict[str, Any] = {"month": month.isoformat()}
    province, cpu, db_cpu, captured = [], [], [], []
    for _ in range(runs):
        _vacuum_scores()
        reset_queries()
        with _Clock() as clock, CaptureQueriesContext(connection) as ctx:
            done = scoring_monthly_run(today=today)
        province.append(clock.wall)
        cpu.append(round(clock.cpu, 3))
        db_cpu.append(round(clock.db_cpu, 3))
        captured = ctx.captured_queries
    out["province"] = {
        "centres": done,
        "staff": sum(ScoringRun.objects.filter(month=month).values_list("staff_count", flat=True)),
        "seconds": [round(s, 3) for s in province],
        "python_cpu_seconds": cpu,
        "postgres_cpu_seconds": db_cpu,
        "queries": len(captured),
        "queries_per_centre": round(len(captured) / max(done, 1), 1),
    }
    centre = Centre.objects.filter(code__startswith=PREFIX).order_by("code")[0]
    one, one_cpu = [], []
    for _ in range(runs):
        with _Clock() as clock, CaptureQueriesContext(connection) as ctx:
            scoring_run_month(centre=centre, month=month, actor=None)
        one.append(clock.wall)
        one_cpu.append(round(clock.cpu + clock.db_cpu, 3))
    out["one_centre"] = {
        "staff": ScoringRun.objects.get(centre=centre, month=month).staff_count,
        "seconds": [round(s, 3) for s in one],
        "cpu_seconds": one_cpu,
        "queries": len(ctx.captured_queries),
    }
    if explain_top:
        out["slowest_statements"] = _explain(ctx.captured_queries, explain_top)
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        scoring_monthly_run(today=today)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(40)
        out["profile_top"] = text.getvalue().splitlines()
    out["results_sha256"] = _results_digest()
    return out


def _stats(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"min": ordered[0], "median": ordered[len(ordered) // 2], "max": ordered[-1], "n": len(ordered)}


def _report(args: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.db import connection

    result: dict[str, Any] = {"sizes": _wanted(args)}
    result.update(seed(args))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    result.update(measure(runs=args.runs, profile=args.profile, explain_top=args.explain))
    result["province"]["seconds_stats"] = _stats(result["province"]["seconds"])
    result["one_centre"]["seconds_stats"] = _stats(result["one_centre"]["seconds"])
    result["meta"] = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "load_average": list(os.getloadavg()),
        "command": "python -m bench.scoring_scale " + " ".join(sys.argv[1:]),
    }
    return result


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="scoring_scale", help="PostgreSQL database (created, migrated, seeded)")
    p.add_argument("--centres", type=int, default=100)
    p.add_argument("--staff", type=int, default=5000, help="window staff in all (spread evenly)")
    p.add_argument("--evaluations", type=int, default=830_000, help="in the month")
    p.add_argument("--complaints", type=int, default=170_000, help="in the month")
    p.add_argument("--cases", type=int, default=83_000, help="accepted in the month")
    p.add_argument("--history-months", type=int, default=1, help="earlier months of evaluations and complaints")
    p.add_argument(
        "--case-history-months",
        type=int,
        default=11,
        help="earlier months of cases (a centre's cases are read by centre)",
    )
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--reseed", action="store_true")
    p.add_argument("--profile", action="store_true", help="add the top of a cProfile of one province run")
    p.add_argument("--explain", type=int, default=6, help="EXPLAIN ANALYZE the N slowest statements of one centre")
    p.add_argument("--out", default="", help="write the JSON here (e.g. bench/results/scoring_scale.json)")
    return p


def main() -> None:
    args = _parser().parse_args()
    _ensure_database(args.db)
    _setup(args.db)
    result = _report(args)
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    print("RESULT " + json.dumps(result, default=str))  # one line, for bench/run.py (as bench.inproc prints)


if __name__ == "__main__":
    main()
