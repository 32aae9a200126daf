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
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

if TYPE_CHECKING:
    from govservice.models import Centre

BASE_BATCH = 5000
PHONE = "13912345678"
ID_NUMBER = "110101199003074514"


def multiply(model, target: int, overrides: dict[str, str]) -> int:
    """Copy the table's first rows inside PostgreSQL until it holds `target` rows."""
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
        sql = (
            f'INSERT INTO "{table}" ({", ".join(f'"{c}"' for c in columns)}) '  # noqa: S608
            f'SELECT {", ".join(exprs)} FROM (SELECT * FROM "{table}" ORDER BY id LIMIT {base}) t '
            f"CROSS JOIN generate_series(1, {copies}) g LIMIT {target - have}"
        )
        cursor.execute(sql)
        cursor.execute(f'ANALYZE "{table}"')
    return target


def spread(column: str) -> str:
    """Move a copy's timestamp back by up to 180 days, so volume spans months."""
    return f"t.\"{column}\" - ((g * 7919 + t.id) % 180) * interval '1 day'"


def seed(args: argparse.Namespace) -> dict:
    from cases.models import Case, MatterType
    from complaints.models import Channel, Complaint, Evaluation
    from development import demo as development_demo
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
    windows = list(Window.objects.filter(centre=centre))
    # A centre with exactly one of everything: the 1-row side of the list figures.
    small, _ = Centre.objects.get_or_create(
        code="bench1", defaults={"name": "基准单行中心", "tracking_prefix": "BQ", "level": "district"}
    )
    password = User.objects.filter(username="city-leader1").values_list("password", flat=True).first() or "!"
    have = User.objects.filter(centre=centre).count()
    if have < args.staff:
        new = [
            User(
                username=f"bench-staff-{i}",
                name=f"基准{i}",
                staff_no=f"B{i:05d}",
                centre=centre,
                window=windows[i % len(windows)],
                password=password,
            )
            for i in range(args.staff - have)
        ]
        User.objects.bulk_create(new, batch_size=1000)
        created = User.objects.filter(username__startswith="bench-staff-")
        StaffRole.objects.bulk_create(
            [StaffRole(user=u, role=Role.WINDOW_STAFF, **_role_centre(centre)) for u in created], ignore_conflicts=True
        )
    staff = list(User.objects.filter(centre=centre, window__isnull=False).values_list("id", "window_id"))
    leader = User.objects.get(username="city-leader1")
    small_leader, _ = User.objects.get_or_create(
        username="bench1-leader", defaults={"name": "单行领导", "centre": small, "password": password}
    )
    StaffRole.objects.get_or_create(user=small_leader, role=Role.LEADER, **_role_centre(small))

    matter = {}
    for c in (centre, small):
        matter[c.pk] = MatterType.objects.filter(centre=c).first() or MatterType.objects.create(
            centre=c, code="BENCH-1", name="基准事项", promised_days=5
        )
    channel, _ = Channel.objects.get_or_create(
        code="bench-hotline", defaults={"name": "基准热线接口", "kind": Channel.Kind.HOTLINE}
    )
    channel.centres.add(centre)
    raw_key = channel_key_create(channel=channel, label="bench").raw_key
    now = timezone.now()

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
                centre=centre,
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
                centre=centre,
                channel=channel,
                content="窗口人员态度不好，等候时间过长。",
                window_id=staff[i % len(staff)][1],
                staff_id=staff[i % len(staff)][0],
                received_at=now - timedelta(minutes=rng.randrange(60 * 24 * 30)),
            ),
        )
        base_rows(
            Case,
            args.cases,
            lambda i: Case(
                tracking_no=f"BENCH-K-{i:07d}",
                centre=centre,
                matter_type=matter[centre.pk],
                window_id=staff[i % len(staff)][1],
                handler_id=staff[i % len(staff)][0],
                first_responder_id=staff[i % len(staff)][0],
                applicant_kind=Case.ApplicantKind.PERSON,
                applicant_name="王某某",
                status=rng.choice([Case.Status.ACCEPTED, Case.Status.IN_PROCESS, Case.Status.COMPLETED]),
                accepted_at=now - timedelta(days=rng.randrange(30)),
                due_date=(now + timedelta(days=rng.randrange(-5, 20))).date(),
            ),
        )
    multiply(
        Evaluation,
        args.evaluations,
        {
            "public_id": "gen_random_uuid()",
            "external_id": "''",
            "case_id": "NULL",
            "follow_up_of_id": "NULL",
            "rated_at": spread("rated_at"),
        },
    )
    multiply(
        Complaint,
        args.complaints,
        {
            "public_id": "gen_random_uuid()",
            "external_id": "''",
            "tracking_no": "t.tracking_no || '-{round}-' || g",
            "received_at": spread("received_at"),
            "evaluation_id": "NULL",
            "merged_into_id": "NULL",
        },
    )
    multiply(Case, args.cases, {"public_id": "gen_random_uuid()", "tracking_no": "t.tracking_no || '-{round}-' || g"})
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
        },
        "channel_key": raw_key,
        "channel_id": channel.id,
        "centre_id": centre.id,
        "leader_session": cookie(leader),
        "small_leader_session": cookie(small_leader),
        "case_public_id": str(sample_case.public_id),
        "small_case_public_id": str(one_case.public_id),
        "window_code": windows[0].code,
    }


def _role_centre(centre: Centre) -> dict[str, Any]:
    """A role's centre, for a schema whose roles are per centre; nothing where a role is the user's alone."""
    from staff.models import StaffRole

    has_centre = any(f.name == "centre" for f in StaffRole._meta.concrete_fields)
    return {"centre": centre} if has_centre else {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--evaluations", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=1_000)
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "context.json"))
    args = parser.parse_args()
    context = seed(args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(context, indent=2))
    print(json.dumps({"seeded": context["sizes"], "seconds": context["seconds"]}))


if __name__ == "__main__":
    main()
