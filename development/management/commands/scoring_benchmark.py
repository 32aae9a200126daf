"""Benchmark the monthly service-star run: N staff, M evaluations, in a throwaway centre (rolled back).

    manage.py scoring_benchmark --staff 1000 --evaluations 1000000

Rows are generated inside the database (a recursive CTE on SQLite, generate_series on
PostgreSQL) so that building a million evaluations does not dominate the measurement.
Everything happens in one transaction that is rolled back at the end.
"""

from __future__ import annotations

import time as clock
import uuid
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from development.models import SpotCheck
from development.scoring import scoring_run_month
from development.scoring.defaults import scheme_create_default
from govservice.models import Centre
from staff.models import Role, StaffRole, User, Window

UNUSABLE_PASSWORD = "!"  # noqa: S105 - Django's marker for "cannot log in"


class _Rollback(Exception):
    pass


def _series(vendor: str, count: int) -> str:
    if vendor == "postgresql":
        return f"SELECT g AS n FROM generate_series(0, {count - 1}) AS g"  # noqa: S608 - count is an int
    return (
        f"WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {count - 1}) SELECT n FROM seq"  # noqa: S608
    )


def _uuid_sql(vendor: str) -> str:
    return "gen_random_uuid()" if vendor == "postgresql" else "lower(hex(randomblob(16)))"


def _at_sql(vendor: str, start: datetime, seconds: str) -> str:
    stamp = start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
    if vendor == "postgresql":
        return f"(TIMESTAMPTZ '{stamp}+00' + ({seconds}) * INTERVAL '1 second')"
    return f"datetime('{stamp}', '+' || ({seconds}) || ' seconds')"


def _insert(model: type[models.Model], count: int, computed: dict[str, str]) -> None:
    """INSERT ... SELECT over a generated series; every other column gets its default, NULL or empty."""
    vendor = connection.vendor
    now = timezone.now()
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:  # a GeneratedField is computed by the database
            continue
        if field.column is None:  # only non-concrete fields lack a column; concrete_fields holds none
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in computed:
            values.append(computed[field.column].replace("%", "%%"))  # the driver formats %s placeholders
        elif isinstance(field, models.UUIDField):
            values.append(_uuid_sql(vendor))
        elif isinstance(field, models.DateTimeField) and not field.null:
            values.append("%s")
            params.append(field.get_db_prep_value(now, connection))
        elif field.null:
            values.append("NULL")
        elif field.has_default():
            values.append("%s")
            params.append(field.get_db_prep_value(field.get_default(), connection))
        elif isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
            values.append("0")
        else:
            values.append("''")
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - table, columns and values are built here, not from input
        f"SELECT {', '.join(values)} FROM ({_series(vendor, count)}) AS s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class Command(BaseCommand):
    help = "Time the monthly service-star run for N staff and M evaluations (all rolled back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--staff", type=int, default=1000)
        parser.add_argument("--evaluations", type=int, default=1_000_000)
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="keep the generated centre (for query tuning)")

    def handle(self, *args: Any, **options: Any) -> None:
        from cases.models import Case, MatterType
        from complaints.models import Channel, Evaluation

        staff_n = int(options["staff"])
        evaluations_n = int(options["evaluations"])
        cases_n = int(options["cases"])
        vendor = connection.vendor
        month = date(2026, 1, 1)
        start = datetime.combine(month, time(8), ZoneInfo(settings.TIME_ZONE))
        seconds_in_month = 27 * 24 * 3600
        try:
            with transaction.atomic():
                tag = uuid.uuid4().hex[:6]
                centre = Centre.objects.create(code=f"bench-{tag}", name="benchmark", tracking_prefix=f"B{tag[:5]}")
                window = Window.objects.create(centre=centre, code="B01", name="bench", kind="professional")
                users = User.objects.bulk_create(
                    User(
                        username=f"bench-{tag}-{i}",
                        name=f"人员{i}",
                        centre=centre,
                        window=window,
                        password=UNUSABLE_PASSWORD,
                        mobile=f"1390000{i:04d}",
                    )
                    for i in range(staff_n)
                )
                StaffRole.objects.bulk_create(StaffRole(user=u, role=Role.WINDOW_STAFF) for u in users)
                first_id = min(u.id for u in users)
                ids_contiguous = max(u.id for u in users) - first_id + 1 == staff_n
                if not ids_contiguous:
                    self.stderr.write("staff ids are not contiguous; results are still valid but skewed")
                channel = Channel.objects.create(code=f"bench-{tag}", name="bench", kind="window_device")
                matter = MatterType.objects.create(centre=centre, code="bench", name="bench", promised_days=5)
                scheme_create_default(centre=centre, valid_from=month, min_evaluations=10)

                t0 = clock.perf_counter()
                _insert(
                    Evaluation,
                    evaluations_n,
                    {
                        "centre_id": str(centre.id),
                        "channel_id": str(channel.id),
                        "staff_id": f"({first_id} + n % {staff_n})",
                        "level": "(1 + (n * 7) % 5)",
                        "excluded": "(CASE WHEN n % 97 = 0 THEN TRUE ELSE FALSE END)"
                        if vendor == "postgresql"
                        else "(n % 97 = 0)",
                        "rated_at": _at_sql(vendor, start, f"n % {seconds_in_month}"),
                    },
                )
                _insert(
                    Case,
                    cases_n,
                    {
                        "tracking_no": f"'B{tag}-' || n",
                        "centre_id": str(centre.id),
                        "matter_type_id": str(matter.id),
                        "applicant_kind": "'person'",
                        "status": "'completed'",
                        "handler_id": f"({first_id} + n % {staff_n})",
                        "first_responder_id": f"({first_id} + n % {staff_n})",
                        "accepted_at": _at_sql(vendor, start, f"n % {seconds_in_month}"),
                        "completed_at": _at_sql(vendor, start, f"n % {seconds_in_month} + 3600"),
                        "due_date": "'2026-01-20'",
                    },
                )
                inspector = users[0]
                SpotCheck.objects.bulk_create(
                    SpotCheck(
                        centre=centre,
                        staff=u,
                        inspector=inspector,
                        checked_at=start,
                        response_seconds=10 + i % 50,
                        etiquette_score=8,
                        notification_correct=i % 10 != 0,
                    )
                    for i, u in enumerate(users * 3)
                )
                built = clock.perf_counter() - t0
                if vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")

                t1 = clock.perf_counter()
                marks: list[tuple[str, float]] = []
                run = scoring_run_month(
                    centre=centre,
                    month=month,
                    actor=None,
                    progress=lambda label: marks.append((label, clock.perf_counter() - t1)),
                )
                elapsed = clock.perf_counter() - t1
                self.stdout.write(
                    f"{vendor}: built {evaluations_n:,} evaluations and {cases_n:,} cases in {built:.1f} s; "
                    f"scored {run.staff_count:,} staff ({run.ranked_count:,} ranked) in {elapsed:.2f} s"
                )
                self.stdout.write("  steps: " + ", ".join(f"{label} {at:.2f}s" for label, at in marks))
                self.elapsed = elapsed
                self.run_summary = (run.staff_count, run.ranked_count)
                if not options["keep"]:
                    raise _Rollback
        except _Rollback:
            pass
