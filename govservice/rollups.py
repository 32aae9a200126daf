"""Day counts for the leader dashboard: kept by database triggers, recomputed by a rebuild.

`complaints.EvaluationDayCount`, `complaints.ComplaintDayCount` and `cases.CaseDayCount` hold,
per centre and local day, how many evaluations (not excluded), complaints and cases there are
by the dimensions the dashboard groups and filters by. The dashboard sums a few thousand of
these rows instead of scanning a million.

Why triggers, and not a service call or a nightly job: an evaluation is written by many
paths — the intake API and Open311, the rating page, the follow-up and exclusion services,
`bulk_create` in the demo and the bench seed, `QuerySet.update()`, a window's deletion
(Django sets `window` to NULL with one UPDATE), the admin, raw SQL. A trigger sees every one
of them, in the same transaction, so the counts are never stale and never half-applied. A
nightly rollup of closed days would be wrong until the next run for every late-arriving
evaluation (channels send batches dated in the past), every exclusion after an appeal and
every deleted window.

The cost on the hot path (one evaluation inserted by the intake API) is one statement run by
the database: on PostgreSQL a statement-level trigger with a transition table does one
`INSERT … ON CONFLICT DO UPDATE`; a million-row `INSERT … SELECT` also costs one grouped
upsert, not a million. SQLite (development, tests) has only row-level triggers: the same
upsert per row. An upsert holds its counter's row lock until the writing transaction commits;
so that two intakes for the same centre, day, window, channel and level do not queue there,
each connection writes its own shard of the counter (`shard` = backend pid % 16) and readers
sum the shards. A shard may go below zero (one connection counted an evaluation, another
deleted it); only the sum over the shards means anything, and the dashboard keeps groups
whose sum is positive. The table therefore has no "never negative" check: `drift()` and
`rebuild_dashboard_rollups --check` compare the sums with a fresh count instead.

The local day is computed in the database in `settings.TIME_ZONE` (Asia/Shanghai), which is
written into the trigger: after a change of TIME_ZONE run `manage.py rebuild_dashboard_rollups`,
which reinstalls the triggers for the current zone and recomputes the counts.
"""

# ruff: noqa: S608 - the SQL here is built from this module's constants and settings.TIME_ZONE
# (checked by zoneinfo); no value from a request is ever formatted into it.

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Rollup:
    """A count table kept by triggers: rows of `source` counted by centre, local day of `time_column` and `keys`."""

    name: str  # prefix of the trigger function and triggers
    source: str
    table: str
    time_column: str
    keys: tuple[str, ...]  # source columns copied as they are
    nullable: frozenset[str]  # keys that may be NULL: one key each, through COALESCE(…, 0)
    unless: str = ""  # a boolean column of the source: rows where it is true are not counted

    @property
    def key(self) -> tuple[str, ...]:
        return ("centre_id", "day", *self.keys)

    @property
    def conflict(self) -> str:
        """The ON CONFLICT target: the table's unique index, expression for expression."""
        keys = [f"(COALESCE({c}, 0))" if c in self.nullable else c for c in self.key]
        return "(" + ", ".join([*keys, "shard"]) + ")"

    @property
    def watched(self) -> tuple[str, ...]:
        """The source columns whose change moves a row from one counter to another."""
        return ("centre_id", self.time_column, *self.keys, *((self.unless,) if self.unless else ()))

    def counted(self, row: str = "") -> str:
        return f"NOT {row}{self.unless}" if self.unless else "TRUE"


EVALUATIONS = Rollup(
    name="complaints_evaluation_day_count",
    source="complaints_evaluation",
    table="complaints_evaluationdaycount",
    time_column="rated_at",
    keys=("window_id", "channel_id", "level"),
    nullable=frozenset({"window_id"}),
    unless="excluded",
)
COMPLAINTS = Rollup(
    name="complaints_complaint_day_count",
    source="complaints_complaint",
    table="complaints_complaintdaycount",
    time_column="received_at",
    keys=("category", "department_id", "window_id"),
    nullable=frozenset({"department_id", "window_id"}),
)
CASES = Rollup(
    name="cases_case_day_count",
    source="cases_case",
    table="cases_casedaycount",
    time_column="created_at",
    keys=("matter_type_id", "is_elderly", "is_disabled", "is_other_special"),
    nullable=frozenset(),
)
ROLLUPS = (EVALUATIONS, COMPLAINTS, CASES)
_TRIGGERS = ("insert", "update", "delete", "truncate")
SHARDS = 16
# Each database connection adds to its own shard of a counter (PostgreSQL: by backend pid).
SHARD_SQL = f"(pg_backend_pid() % {SHARDS})"


def _zone() -> str:
    zone = str(settings.TIME_ZONE)
    zoneinfo.ZoneInfo(zone)  # an unknown zone fails here, not inside a trigger
    if "'" in zone:
        raise ValueError(f"unexpected time zone name: {zone!r}")
    return zone


def _day(connection: BaseDatabaseWrapper, column: str) -> str:
    """SQL for the local calendar day of a stored timestamp, as the dashboard's date filters mean it."""
    zone = _zone()
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE '{zone}')::date"
    if connection.vendor == "sqlite":
        # Django registers this function on each of its SQLite connections (stored times are UTC text).
        return f"django_datetime_cast_date({column}, '{zone}', '{connection.timezone_name}')"
    # The project runs on PostgreSQL (production) and SQLite (the embedded default) only.
    raise ImproperlyConfigured(
        f"The dashboard's day counts need PostgreSQL or SQLite; DATABASE_URL points to {connection.vendor}."
    )


def _postgresql_install(connection: BaseDatabaseWrapper, rollup: Rollup) -> list[str]:
    table, columns = rollup.table, ", ".join(rollup.key)
    day = _day(connection, rollup.time_column)
    keys = ", ".join(rollup.keys)
    rows = f"SELECT centre_id, {day} AS day, {keys}, {{sign}} AS n FROM {{rows}} WHERE {rollup.counted()}"

    def upsert(parts: list[str], *, returning: str = "") -> str:
        # The net change per key, added to this connection's shard of the counter: two writers
        # of the same centre, day, window, channel and level (the intake's usual case) do not
        # queue on one row lock until the other commits. Shards are summed by every reader.
        return f"""
            INSERT INTO {table} AS t ({columns}, shard, n)
            SELECT {columns}, {SHARD_SQL}, sum(n) FROM ({" UNION ALL ".join(parts)}) AS c
            GROUP BY {columns} HAVING sum(n) <> 0 ORDER BY {columns}
            ON CONFLICT {rollup.conflict} DO UPDATE SET n = t.n + EXCLUDED.n{returning}"""

    old, new = rows.format(sign="-1", rows="old_rows"), rows.format(sign="1", rows="new_rows")
    # An update or delete may empty a counter: it is deleted, so that the table keeps only counts.
    lowering = "WITH changed AS ({}) SELECT array_agg(id) INTO emptied FROM changed WHERE n = 0;"
    emptied = f"IF emptied IS NOT NULL THEN DELETE FROM {table} WHERE id = ANY(emptied) AND n = 0; END IF;"
    function = f"""
    CREATE OR REPLACE FUNCTION {rollup.name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        emptied bigint[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            -- The hot path (intake): one grouped upsert for the whole statement.
            {upsert([new])};
        ELSIF TG_OP = 'UPDATE' THEN
            {lowering.format(upsert([old, new], returning=" RETURNING t.id, t.n"))}
            {emptied}
        ELSIF TG_OP = 'DELETE' THEN
            {lowering.format(upsert([old], returning=" RETURNING t.id, t.n"))}
            {emptied}
        ELSE
            DELETE FROM {table};
        END IF;
        RETURN NULL;
    END
    $fn$"""
    statements = [function]
    for event in _TRIGGERS:
        referencing = {
            "insert": "REFERENCING NEW TABLE AS new_rows",
            "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "delete": "REFERENCING OLD TABLE AS old_rows",
            "truncate": "",
        }[event]
        statements += [
            f"DROP TRIGGER IF EXISTS {rollup.name}_{event} ON {rollup.source}",
            f"CREATE TRIGGER {rollup.name}_{event} AFTER {event.upper()} ON {rollup.source} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {rollup.name}()",
        ]
    return statements


def _sqlite_install(connection: BaseDatabaseWrapper, rollup: Rollup) -> list[str]:
    """Row triggers; one shard (0): SQLite has one writer at a time anyway."""
    table, columns = rollup.table, ", ".join(rollup.key)

    def value(row: str, column: str) -> str:
        return _day(connection, f"{row}.{rollup.time_column}") if column == "day" else f"{row}.{column}"

    def key_of(row: str) -> str:
        return " AND ".join(
            f"{c} IS {value(row, c)}" if c in rollup.nullable else f"{c} = {value(row, c)}" for c in rollup.key
        )

    def add(row: str, n: int) -> str:
        # The WHERE before ON CONFLICT is needed: SQLite cannot parse an upsert of a SELECT without one.
        return f"""
        INSERT INTO {table} ({columns}, shard, n)
            SELECT {", ".join(value(row, c) for c in rollup.key)}, 0, {n} WHERE {rollup.counted(row + ".")}
            ON CONFLICT {rollup.conflict} DO UPDATE SET n = n + excluded.n;"""

    lower_old = f"""{add("OLD", -1)}
        DELETE FROM {table} WHERE {rollup.counted("OLD.")} AND n = 0 AND shard = 0 AND {key_of("OLD")};"""
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in rollup.watched)
    name, source = rollup.name, rollup.source
    return [
        *(f"DROP TRIGGER IF EXISTS {name}_{event}" for event in _TRIGGERS),
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {source} BEGIN {add('NEW', 1)} END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE ON {source} WHEN {changed} BEGIN {lower_old} {add('NEW', 1)} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {source} BEGIN {lower_old} END",
    ]


def install(connection: BaseDatabaseWrapper, rollup: Rollup) -> None:
    """(Re)install the rollup's triggers for the current TIME_ZONE. Idempotent."""
    if connection.vendor == "postgresql":
        statements = _postgresql_install(connection, rollup)
    else:
        statements = _sqlite_install(connection, rollup)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper, rollup: Rollup) -> None:
    on = f" ON {rollup.source}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for event in _TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {rollup.name}_{event}{on}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {rollup.name}()")


def _counted_sql(connection: BaseDatabaseWrapper, rollup: Rollup) -> str:
    """The counts recomputed from the source rows, in key order."""
    columns = ", ".join(rollup.key)
    day = _day(connection, rollup.time_column)
    return (
        f"SELECT centre_id, {day} AS day, {', '.join(rollup.keys)}, count(*) FROM {rollup.source} "
        f"WHERE {rollup.counted()} GROUP BY {', '.join(str(i + 1) for i in range(len(rollup.key)))} "
        f"ORDER BY {columns}"
    )


def rebuild(rollup: Rollup, *, using: str = "default") -> int:
    """Reinstall the rollup's triggers and recompute every count from the source (into shard 0); the number of counters.

    On PostgreSQL the source table is locked against writes (reads go on) until the commit, so
    no row written meanwhile is lost between the read and the commit (about a second per
    million rows here). On SQLite the first write takes the database's write lock.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {rollup.source} IN SHARE MODE")
        install(connection, rollup)
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {rollup.table}")
            cursor.execute(
                f"INSERT INTO {rollup.table} ({', '.join(rollup.key)}, n) {_counted_sql(connection, rollup)}"
            )
            cursor.execute(f"SELECT count(*) FROM {rollup.table}")
            return int(cursor.fetchone()[0])


@dataclass(frozen=True)
class Drift:
    table: str
    key: tuple  # centre_id, day (ISO), then the rollup's keys
    counted: int  # in the count table, all shards
    actual: int  # in the source rows


def drift(rollup: Rollup, *, using: str = "default") -> list[Drift]:
    """Every key whose count differs from a fresh count of the source rows (empty: in step)."""
    connection = connections[using]

    def read(sql: str) -> dict[tuple, int]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return {(row[0], str(row[1]), *row[2:-1]): row[-1] for row in cursor.fetchall()}

    actual = read(_counted_sql(connection, rollup))
    columns = ", ".join(rollup.key)
    counted = read(f"SELECT {columns}, sum(n) FROM {rollup.table} GROUP BY {columns} HAVING sum(n) <> 0")
    keys = sorted(set(actual) | set(counted), key=repr)
    return [
        Drift(rollup.table, k, counted.get(k, 0), actual.get(k, 0))
        for k in keys
        if counted.get(k, 0) != actual.get(k, 0)
    ]
