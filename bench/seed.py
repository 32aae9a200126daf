"""Seed the bench database with volume: bulk_create a few thousand real rows, then
multiply them inside PostgreSQL with INSERT … SELECT … generate_series (1 M rows in seconds).

Run inside the bench environment: `python -m bench.seed --evaluations 1000000 ...` (bench/run.py does).
Writes var/bench/context.json: channel key, session cookies, ids the load scripts need.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, models, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

if TYPE_CHECKING:
    from govservice.models import Centre

BASE_BATCH = 5000
CHUNK_ROWS = 1_000_000  # rows per INSERT … SELECT of the copies (one progress line each)
PHONE = "13912345678"
ID_NUMBER = "110101199003074514"


def progress(message: str) -> None:
    """What the seeding is doing, on stderr (bench/run.py shows it as it comes; stdout carries the result)."""
    print(f"[seed {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}", file=sys.stderr, flush=True)


def multiply(model, target: int, overrides: dict[str, str], *, chunk_rows: int | None = None) -> int:
    """Copy the table's first rows inside PostgreSQL until it holds `target` rows.

    Plain `INSERT INTO <the model's table> … SELECT`: on a partitioned table PostgreSQL routes each row to its
    partition, so the same seed serves plain and partitioned tables. The copies go in statements of about
    `chunk_rows` rows, each followed by a line of progress with the rate and the time left.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our own table name
        have = cursor.fetchone()[0]
        if have >= target or have == 0:
            return have
        # Generated columns (e.g. Case.current_deadline) are computed by PostgreSQL: never inserted.
        columns = [f.column for f in model._meta.concrete_fields if f.column != "id" and not f.generated]
        # {round} keeps copies made by a later, larger seed distinct from the earlier ones.
        exprs = [overrides.get(c, f't."{c}"').replace("{round}", str(have)) for c in columns]
        base = min(have, BASE_BATCH)
        copies = (target - have) // base + 1
        per_chunk = max(1, (chunk_rows or CHUNK_ROWS) // base)
        wanted, done, started = target - have, 0, time.monotonic()
        progress(f"{table}: {have:,} rows, copying {wanted:,} more ({base:,} rows × up to {copies:,} copies)")
        first = 1
        while done < wanted and first <= copies:
            last = min(copies, first + per_chunk - 1)
            sql = (
                f'INSERT INTO "{table}" ({", ".join(f'"{c}"' for c in columns)}) '  # noqa: S608
                f'SELECT {", ".join(exprs)} FROM (SELECT * FROM "{table}" ORDER BY id LIMIT {base}) t '
                f"CROSS JOIN generate_series({first}, {last}) g LIMIT {wanted - done}"
            )
            cursor.execute(sql)
            done += cursor.rowcount
            first = last + 1
            elapsed = time.monotonic() - started
            rate = done / elapsed if elapsed > 0 else 0
            eta = (wanted - done) / rate if rate else 0
            progress(
                f"{table}: {have + done:,} / {target:,} rows ({100 * done / wanted:.0f}%), "
                f"{rate:,.0f} rows/s, {elapsed:.0f} s, ETA {eta:.0f} s"
            )
        cursor.execute(f'ANALYZE "{table}"')
    return target


def spread(column: str, days: int = 180) -> str:
    """Move a copy's timestamp (or date) back by up to `days` days, so volume spans months.

    The same shift for every column of one copy (it depends on the copy and the source row only), so a
    case's creation, acceptance and due date move together.
    """
    return f"t.\"{column}\" - ((g * 7919 + t.id) % {max(1, days)}) * interval '1 day'"


def spread_date(column: str, days: int = 180) -> str:
    """`spread` for a date column (a date minus an integer is a date)."""
    return f't."{column}" - ((g * 7919 + t.id) % {max(1, days)})::int'


def seed(args: argparse.Namespace) -> dict:
    from cases.models import Case, MatterType
    from complaints.models import Channel, Complaint, Evaluation, EvaluationEvent
    from development import demo as development_demo
    from govservice.categories import ProblemCategory
    from govservice.models import Centre
    from intake.services import channel_key_create
    from staff import demo
    from staff.models import Role, StaffRole, User, Window

    started = time.monotonic()
    rng = random.Random(8)
    demo_context = demo.DemoContext(stdout=sys.stdout, show_progress=False)
    demo.load(demo_context)
    # The scoring scheme, its inputs, training and mentors: development's demo (part of staff's before the split).
    development_demo.load_programmes(demo_context)
    centre = Centre.objects.get(code="city")
    centres = _centres(args.centres, centre)
    windows = list(Window.objects.filter(centre=centre))
    # A centre with exactly one of everything: the 1-row side of the list figures.
    small, _ = Centre.objects.get_or_create(
        code="bench1", defaults={"name": "基准单行中心", "tracking_prefix": "BQ", "level": "district"}
    )
    password = User.objects.filter(username="city-leader1").values_list("password", flat=True).first() or "!"
    _staff(centres, args.staff, password)
    # (user, window, centre) of the window staff of every seeded centre: the base rows go round them, so every
    # centre, window and person gets its share of the copies.
    # Taken round the centres (the first of each centre, then the second, …): fewer base rows than staff still
    # reach every centre.
    by_centre: dict[int, list[tuple[int, int, int]]] = {}
    for row in (
        User.objects.filter(centre__in=centres, window__isnull=False)
        .order_by("id")
        .values_list("id", "window_id", "centre_id")
    ):
        by_centre.setdefault(row[2], []).append(row)
    staff = [row for rank in zip_longest(*by_centre.values()) for row in rank if row is not None]
    progress(f"{len(centres)} centres, {len(staff):,} window staff")
    leader = User.objects.get(username="city-leader1")
    city_leader = User.objects.get(username="cityleader")
    small_leader, _ = User.objects.get_or_create(
        username="bench1-leader", defaults={"name": "单行领导", "centre": small, "password": password}
    )
    StaffRole.objects.get_or_create(user=small_leader, role=Role.LEADER, **_role_centre(small))

    matter = {}
    for c in (*centres, small):
        matter[c.pk] = MatterType.objects.filter(centre=c).order_by("id").first() or MatterType.objects.create(
            centre=c, code="BENCH-1", name="基准事项", promised_days=5
        )
    channel, _ = Channel.objects.get_or_create(
        code="bench-hotline", defaults={"name": "基准热线接口", "kind": Channel.Kind.HOTLINE}
    )
    channel.centres.add(centre)
    raw_key = channel_key_create(channel=channel, label="bench").raw_key
    now = timezone.now()
    categories = [c for c in ProblemCategory.values if c]

    def base_rows(model, target, make):
        existing = model.objects.count()
        wanted = min(target, BASE_BATCH) - existing
        if wanted > 0:
            model.objects.bulk_create([make(i) for i in range(wanted)], batch_size=1000)

    with transaction.atomic():
        base_rows(
            Evaluation,
            args.evaluations,
            lambda i: Evaluation(
                centre_id=staff[i % len(staff)][2],
                channel=channel,
                staff_id=staff[i % len(staff)][0],
                window_id=staff[i % len(staff)][1],
                level=rng.choices([5, 4, 3, 2, 1], weights=[70, 15, 8, 4, 3])[0],
                rated_at=now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
            ),
        )
        base_rows(
            Complaint,
            args.complaints,
            lambda i: Complaint(
                tracking_no=f"BENCH-C-{i:07d}",
                centre_id=staff[i % len(staff)][2],
                channel=channel,
                content="窗口人员态度不好，等候时间过长。",
                window_id=staff[i % len(staff)][1],
                staff_id=staff[i % len(staff)][0],
                received_at=now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
                # Most complaints of a year are finished: the open ones are what the leaders' tiles count.
                **(
                    {
                        "status": rng.choices(
                            [Complaint.Status.CLOSED, Complaint.Status.REPLIED, Complaint.Status.RECEIVED],
                            weights=[90, 6, 4],
                        )[0],
                        "category": rng.choice([*categories, ""]),
                    }
                    if args.lifelike
                    else {}
                ),
            ),
        )
        base_rows(
            Case,
            args.cases,
            lambda i: Case(
                tracking_no=f"BENCH-K-{i:07d}",
                centre_id=staff[i % len(staff)][2],
                matter_type=matter[staff[i % len(staff)][2]],
                window_id=staff[i % len(staff)][1],
                handler_id=staff[i % len(staff)][0],
                first_responder_id=staff[i % len(staff)][0],
                applicant_kind=Case.ApplicantKind.PERSON,
                applicant_name="王某某",
                status=rng.choices(
                    [Case.Status.ACCEPTED, Case.Status.IN_PROCESS, Case.Status.COMPLETED],
                    weights=[5, 5, 90] if args.lifelike else [1, 1, 1],
                )[0],
                accepted_at=now - timedelta(days=rng.randrange(30)),
                due_date=(now + timedelta(days=rng.randrange(-5, 20))).date(),
            ),
        )
    days = args.spread_days
    multiply(
        Evaluation,
        args.evaluations,
        {
            "public_id": "gen_random_uuid()",
            "external_id": "''",
            "case_id": "NULL",
            "follow_up_of_id": "NULL",
            "rated_at": spread("rated_at", days),
        },
    )
    multiply(
        Complaint,
        args.complaints,
        {
            "public_id": "gen_random_uuid()",
            "external_id": "''",
            "tracking_no": "t.tracking_no || '-{round}-' || g",
            "received_at": spread("received_at", days),
            "evaluation_id": "NULL",
            "merged_into_id": "NULL",
            **({"created_at": spread("created_at", days)} if args.lifelike else {}),
        },
    )
    multiply(
        Case,
        args.cases,
        {
            "public_id": "gen_random_uuid()",
            "tracking_no": "t.tracking_no || '-{round}-' || g",
            **(
                {
                    "created_at": spread("created_at", days),
                    "accepted_at": spread("accepted_at", days),
                    "due_date": spread_date("due_date", days),
                }
                if args.lifelike
                else {}
            ),
        },
    )
    history = _history(args.history)
    if args.vacuum:
        _vacuum([Evaluation, Complaint, Case, EvaluationEvent])
    one_case = Case.objects.filter(centre=small).first() or Case.objects.create(
        tracking_no="BENCH-ONE",
        centre=small,
        matter_type=matter[small.pk],
        applicant_kind=Case.ApplicantKind.PERSON,
        applicant_name="李某",
        status=Case.Status.ACCEPTED,
        accepted_at=now,
        first_responder=small_leader,
        handler=small_leader,
    )
    # The 1-row centre has its own channel: the load channel must serve exactly one centre.
    channel.centres.remove(small)
    if not Complaint.objects.filter(centre=small).exists():
        one_channel, _ = Channel.objects.get_or_create(
            code="bench-one", defaults={"name": "基准单行渠道", "kind": Channel.Kind.HOTLINE}
        )
        one_channel.centres.add(small)
        Complaint.objects.create(
            tracking_no="BENCH-C-ONE", centre=small, channel=one_channel, content="单行投诉", received_at=now
        )
        Evaluation.objects.create(centre=small, channel=one_channel, level=5, rated_at=now)
    sample_case = Case.objects.filter(centre=centre).order_by("id").first()
    if sample_case is None:
        raise RuntimeError("no case was seeded in the bench centre: --cases must be at least 1")

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return {
        "seconds": round(time.monotonic() - started, 1),
        "sizes": {
            "evaluations": Evaluation.objects.count(),
            "complaints": Complaint.objects.count(),
            "cases": Case.objects.count(),
            "staff": User.objects.filter(centre=centre).count(),
            "centres": len(centres),
            "window_staff": len(staff),
            "evaluation_events": history,
            "spread_days": days,
        },
        "channel_key": raw_key,
        "channel_id": channel.id,
        "centre_id": centre.id,
        "centre_ids": [c.id for c in centres],
        "leader_session": cookie(leader),
        # The city (province) leader: every centre at once, or one picked with ?centre=.
        "city_leader_session": cookie(city_leader),
        "small_leader_session": cookie(small_leader),
        "case_public_id": str(sample_case.public_id),
        "small_case_public_id": str(one_case.public_id),
        "window_code": windows[0].code,
    }


def _centres(count: int, city: Centre) -> list[Centre]:
    """`count` centres: the demo's city and district centres first, then bench districts `bp001`, … under the
    city, each with the demo's departments and 20 windows (6 comprehensive, 14 of a department)."""
    from govservice.models import Centre, Department
    from staff.demo import DEPARTMENTS
    from staff.models import PositionType, Window

    ordered = [city, *Centre.objects.filter(code="gxq")][: max(1, count)]
    missing = [f"bp{i:03d}" for i in range(1, max(0, count - len(ordered)) + 1)]
    have = {c.code: c for c in Centre.objects.filter(code__in=missing)}
    new = [
        Centre(code=code, name=f"基准区县中心{code[2:]}", level="district", parent=city, tracking_prefix=f"P{code[2:]}")
        for code in missing
        if code not in have
    ]
    if new:
        progress(f"creating {len(new)} centres with their departments and windows")
        Centre.objects.bulk_create(new)
        created = list(Centre.objects.filter(code__in=[c.code for c in new]))
        Department.objects.bulk_create(
            [Department(centre=c, code=code, name=name) for c in created for code, name in DEPARTMENTS]
        )
        departments: dict[int, list[Department]] = {}
        for d in Department.objects.filter(centre__in=created).order_by("id"):
            departments.setdefault(d.centre_id, []).append(d)
        Window.objects.bulk_create(
            [
                Window(
                    centre=c,
                    code=f"{'A' if n <= 6 else 'B'}{n:02d}",
                    name="综合受理窗口" if n <= 6 else f"{departments[c.id][n % len(DEPARTMENTS)].name}窗口",
                    kind=PositionType.COMPREHENSIVE if n <= 6 else PositionType.PROFESSIONAL,
                    department=None if n <= 6 else departments[c.id][n % len(DEPARTMENTS)],
                )
                for c in created
                for n in range(1, 21)
            ]
        )
    by_code = {c.code: c for c in Centre.objects.filter(code__in=missing)}
    return ordered + [by_code[code] for code in missing]


def _staff(centres: list[Centre], total: int, password: str) -> None:
    """Window staff up to `total` spread evenly over the centres (the demo's own staff count), each on a window of
    their centre (round the windows), with the window's department and the window-staff role."""
    from staff.models import Role, StaffRole, User, Window

    windows: dict[int, list[Window]] = {}
    for w in Window.objects.filter(centre__in=centres).order_by("id"):
        windows.setdefault(w.centre_id, []).append(w)
    have = dict(
        User.objects.filter(centre__in=centres, window__isnull=False)
        .values_list("centre_id")
        .annotate(n=models.Count("id"))
        .values_list("centre_id", "n")
    )
    new: list[User] = []
    for k, centre in enumerate(centres):
        share = total // len(centres) + (1 if k < total % len(centres) else 0)
        own = windows.get(centre.id, [])
        for i in range(have.get(centre.id, 0), share):
            window = own[i % len(own)]
            new.append(
                User(
                    username=f"bench-{centre.code}-{i}",
                    name=f"基准{centre.code}-{i}",
                    staff_no=f"B{k:03d}{i:05d}",
                    centre=centre,
                    window=window,
                    department=window.department,
                    position_type=window.kind,
                    password=password,
                )
            )
    if not new:
        return
    progress(f"creating {len(new):,} window staff")
    User.objects.bulk_create(new, batch_size=1000)
    created = User.objects.filter(username__in=[u.username for u in new]).select_related("centre")
    StaffRole.objects.bulk_create(
        [StaffRole(user=u, role=Role.WINDOW_STAFF, **_role_centre(u.centre)) for u in created if u.centre],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _history(rows: int, *, chunk_rows: int | None = None) -> int:
    """The evaluations' history: a "submitted" event for each of the first `rows` evaluations that have none yet
    (the intake writes one per evaluation), dated as its evaluation, in INSERT … SELECT statements of
    `chunk_rows` into the model's own table (a partitioned parent routes them). Every other column takes its
    field's default. Returns how many events there are."""
    from complaints.models import Evaluation, EvaluationEvent

    table, source = EvaluationEvent._meta.db_table, Evaluation._meta.db_table
    chunk_rows = chunk_rows or CHUNK_ROWS
    exprs = {"evaluation_id": "e.id", "action": "'submitted'", "created_at": "e.rated_at"}
    columns, selects, params = [], [], []
    for field in EvaluationEvent._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue
        columns.append(connection.ops.quote_name(str(field.column)))
        if field.column in exprs:
            selects.append(exprs[field.column])
        else:
            selects.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), coalesce(max(evaluation_id), 0) FROM {table}")  # noqa: S608
        have, after = cursor.fetchone()
        if have >= rows:
            return have
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {source}")  # noqa: S608
        top = cursor.fetchone()[0]
        progress(f"{table}: {have:,} rows, adding up to {rows - have:,}")
        started = time.monotonic()
        while have < rows and after < top:
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
                f"SELECT {', '.join(selects)} FROM {source} e WHERE e.id > %s AND e.id <= %s ORDER BY e.id LIMIT %s"
            )
            cursor.execute(sql, [*params, after, after + chunk_rows, rows - have])
            have += cursor.rowcount
            after += chunk_rows
            elapsed = time.monotonic() - started
            progress(f"{table}: {have:,} / {rows:,} rows, {elapsed:.0f} s")
        cursor.execute(f"ANALYZE {table}")  # noqa: S608
    return have


def _vacuum(models_: list) -> None:
    """VACUUM (ANALYZE) the big tables, as autovacuum would have by the time a year of rows is there: the
    visibility map lets index-only scans skip the rows, and the planner sees the real sizes."""
    with connection.cursor() as cursor:
        for model in models_:
            started = time.monotonic()
            cursor.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
            progress(f"vacuum {model._meta.db_table}: {time.monotonic() - started:.0f} s")


def _role_centre(centre: Centre) -> dict[str, Any]:
    """A role's centre, for a schema whose roles are per centre; nothing where a role is the user's alone."""
    from staff.models import StaffRole

    has_centre = any(f.name == "centre" for f in StaffRole._meta.concrete_fields)
    return {"centre": centre} if has_centre else {}


def add_shape_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the province-shaped seed (bench/run.py --scale sets them); the defaults seed what the bench
    always did: one centre, timestamps over about 7 months, statuses at random."""
    parser.add_argument("--centres", type=int, default=1, help="centres whose window staff share the rows")
    parser.add_argument("--spread-days", type=int, default=180, help="copies moved back by up to this many days")
    parser.add_argument(
        "--lifelike",
        action="store_true",
        help="statuses as over a year of work (most complaints and cases finished), every timestamp spread",
    )
    parser.add_argument("--history", type=int, default=0, help="evaluation history rows (one per evaluation)")
    parser.add_argument("--vacuum", action="store_true", help="VACUUM (ANALYZE) the big tables after seeding")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=1_000)
    add_shape_arguments(parser)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "context.json"))
    args = parser.parse_args()
    context = seed(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(context, indent=2))
    print(json.dumps({"seeded": context["sizes"], "seconds": context["seconds"]}))


if __name__ == "__main__":
    main()
