"""Monthly range partitions of the big, append-mostly tables, over PostgreSQL's declarative partitioning.

Why our own small layer: django-postgres-extra (the library made for this) pins Django < 6 and needs its
own database backend, and pg_partman is not installable on the servers the project targets. What the
project needs is small: convert a filled table once (a migration), add next months' partitions (beat),
list them, and detach, export and drop an old month (retention). PostgreSQL does the routing itself.
One module, though past 300 lines: other branches (evalpart) copy it by this path; its sections are
months, catalogue, convert/revert, upkeep, retention, the migration operation, the daily task.

What a converted table looks like: the parent `t` is `PARTITION BY RANGE (key)`, with one partition per
local month (`settings.TIME_ZONE`), named `t_pYYYYMM`, and a DEFAULT partition `t_default` for a row whose
month has no partition yet (it is moved out by `ensure_partitions`). Every index keeps its Django name as a
partitioned index on the parent; check constraints, outgoing foreign keys and triggers are recreated on the
parent; the identity sequence goes on where it was. The database's primary key becomes (id, key): a
partitioned table's unique indexes must contain the partition key. Django still sees `id` as the primary
key, and `id` stays unique because only the sequence writes it (nobody inserts an explicit id).

What cannot be kept: a UNIQUE rule without the key (the caller names it in `drop_uniques` and enforces it
another way, e.g. `govservice.partition_uniques`) and foreign keys from other tables to this one (their
models must say `db_constraint=False`). Both are refused with the name unless the caller has dealt with them.

On SQLite (the embedded default) and any other backend, every function here is a no-op: the same models
work on a plain table. docs/partitions.md has the policy (retention, archive, restore) and operations.
"""

# ruff: noqa: S608 - SQL here is built from table, column and constraint names read from the catalogue or
# the model (quoted with quote_name) and from dates computed here; no value from a request reaches it.

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import os
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.db import connections, models, transaction
from django.db.migrations.operations.base import Operation
from django.utils import timezone

logger = logging.getLogger(__name__)

# The partitioned models and their partition key: read by the beat task and `manage.py partitions`.
# Another list may be given in settings.PARTITIONED_TABLES (same shape). A model listed here whose table is
# not (yet) partitioned in the database is skipped, so a branch can register before its migration runs.
PARTITIONED_TABLES: dict[str, str] = {
    "intake.QueueEvent": "occurred_at",
    "notifications.SmsMessage": "created_at",
    "notifications.SmsEvent": "created_at",
    "cases.CaseEvent": "created_at",
    "complaints.ComplaintEvent": "created_at",
    "complaints.EvaluationEvent": "created_at",
    "complaints.WorkOrderEvent": "created_at",
    # Its unique rules without rated_at: complaints/evaluation_uniques.py.
    "complaints.Evaluation": "rated_at",
}


class PartitionError(Exception):
    """A table cannot be converted as asked (the message names the index, constraint or foreign key)."""


def registry() -> dict[str, str]:
    return dict(getattr(settings, "PARTITIONED_TABLES", PARTITIONED_TABLES))


# --- months -------------------------------------------------------------------------------------------


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(str(settings.TIME_ZONE))


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def current_month() -> dt.date:
    today = timezone.now().astimezone(_zone()).date()
    return today.replace(day=1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _bound(model: type[models.Model], key: str, month: dt.date) -> str:
    """The SQL literal of a month's first instant in the key's type (local midnight for a timestamp)."""
    if isinstance(model._meta.get_field(key), models.DateTimeField):
        start = dt.datetime(month.year, month.month, 1, tzinfo=_zone())
        return f"'{start.isoformat()}'::timestamptz"
    return f"'{month.isoformat()}'::date"


def _month_sql(model: type[models.Model], key: str, column: str) -> str:
    """SQL for the local month (a date, the 1st) of the key column."""
    if isinstance(model._meta.get_field(key), models.DateTimeField):
        return f"date_trunc('month', {column} AT TIME ZONE '{_zone().key}')::date"
    return f"date_trunc('month', {column})::date"


# --- the catalogue ------------------------------------------------------------------------------------


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise PartitionError(f"{model._meta.label}.{name} is not a column")
    return str(field.column)


def _q(connection: Any, name: str) -> str:
    return str(connection.ops.quote_name(name))


def _rows(cursor: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    cursor.execute(sql, params)
    return list(cursor.fetchall())


def is_partitioned(table: str, *, using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return bool(
            _rows(
                cursor,
                "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
                "WHERE c.oid = to_regclass(%s)",
                [table],
            )
        )


@dataclass(frozen=True)
class _Shape:
    """What must be recreated on the new table, read from the catalogue before the old one goes."""

    indexes: list[tuple[str, str]]  # (name, CREATE INDEX …) of plain indexes, not backing a constraint
    unique_indexes: list[tuple[str, str, bool]]  # (name, definition, contains the key)
    constraints: list[tuple[str, str, str, bool]]  # (name, contype, definition, contains the key)
    triggers: list[tuple[str, str]]  # (name, CREATE TRIGGER …)
    incoming: list[tuple[str, str]]  # (referencing table, FK constraint name)


def _shape(cursor: Any, table: str, key_column: str) -> _Shape:
    oid = f"to_regclass('{table}')"
    keynum = f"(SELECT attnum FROM pg_attribute WHERE attrelid = {oid} AND attname = '{key_column}')"
    indexes, uniques = [], []
    for name, definition, unique, has_key in _rows(
        cursor,
        f"""SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, {keynum} = ANY(x.indkey::int2[])
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = {oid}
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = {oid})
            ORDER BY i.relname""",
    ):
        definition = definition.replace(" ON ONLY ", " ON ")
        if unique:
            uniques.append((name, definition, bool(has_key)))
        else:
            indexes.append((name, definition))
    constraints = [
        (name, contype, definition, bool(has_key))
        for name, contype, definition, has_key in _rows(
            cursor,
            f"""SELECT conname, contype, pg_get_constraintdef(oid), {keynum} = ANY(conkey)
                FROM pg_constraint WHERE conrelid = {oid} AND contype IN ('p', 'u', 'c', 'f', 'x')
                  AND coninhcount = 0 ORDER BY contype, conname""",
        )
    ]
    triggers = _rows(
        cursor,
        f"SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = {oid} AND NOT tgisinternal "
        "AND tgparentid = 0 ORDER BY tgname",
    )
    incoming = _rows(
        cursor,
        f"SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE confrelid = {oid} AND contype = 'f' "
        f"AND conrelid <> {oid} AND conparentid = 0 ORDER BY 1, 2",
    )
    return _Shape(indexes, uniques, constraints, [(n, d) for n, d in triggers], [(t, n) for t, n in incoming])


def _identity(cursor: Any, table: str, column: str) -> tuple[str, str | None, int | None, bool]:
    """(attidentity, sequence, last_value, is_called) of the id column: '' when it is not an identity."""
    (identity,) = _rows(
        cursor,
        "SELECT attidentity FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s",
        [table, column],
    )[0]
    (sequence,) = _rows(cursor, "SELECT pg_get_serial_sequence(%s, %s)", [table, column])[0]
    if sequence is None:
        return identity, None, None, False
    last_value, is_called = _rows(cursor, f"SELECT last_value, is_called FROM {sequence}")[0]
    return identity, sequence, last_value, is_called


def _check_incoming(model: type[models.Model], shape: _Shape) -> None:
    """Refuse while a model (in the migration's state) still declares a database FK to this table."""
    for rel in model._meta.related_objects:
        field = rel.field
        if getattr(field, "db_constraint", False) and not field.many_to_many:
            raise PartitionError(
                f"{field.model._meta.label}.{field.name} references {model._meta.db_table}, which is to be "
                "partitioned: a partitioned table cannot be referenced by a foreign key. Declare it "
                "db_constraint=False (AlterField before the conversion) and check the rule another way."
            )


def _check_uniques(shape: _Shape, table: str, key_column: str, drop: Iterable[str]) -> None:
    dropped = set(drop)
    offending = [n for n, _d, has_key in shape.unique_indexes if not has_key and n not in dropped]
    offending += [n for n, t, _d, has_key in shape.constraints if t in "ux" and not has_key and n not in dropped]
    if offending:
        raise PartitionError(
            f"{table}: unique rule(s) {', '.join(sorted(offending))} do not contain the partition key "
            f"{key_column} and cannot exist on a partitioned table: include {key_column} in them, or pass "
            "them in drop_uniques=(…) and enforce them another way (govservice.partition_uniques)."
        )
    unknown = dropped - {n for n, _d, _k in shape.unique_indexes} - {n for n, *_ in shape.constraints}
    if unknown:
        raise PartitionError(f"{table}: drop_uniques names no unique rule of the table: {', '.join(sorted(unknown))}")


# --- creating and moving partitions -------------------------------------------------------------------


def _create_partition(cursor: Any, connection: Any, model: type[models.Model], key: str, month: dt.date) -> str:
    """Create and attach one month's partition; rows of that month in the DEFAULT partition move into it.

    The partition is made as a plain table and then attached: ATTACH takes only a SHARE UPDATE EXCLUSIVE
    lock on the parent (readers and writers go on), where CREATE TABLE … PARTITION OF takes an exclusive one.
    PostgreSQL refuses to attach while the DEFAULT partition holds rows of the range, so they are moved
    first (DELETE … RETURNING into the new table), with writes routed to the DEFAULT partition held off.
    """
    table = model._meta.db_table
    name, default = partition_name(table, month), default_name(table)
    column = _q(connection, _column(model, key))
    start, end = _bound(model, key, month), _bound(model, key, add_months(month, 1))
    q = lambda n: _q(connection, n)  # noqa: E731
    cursor.execute(f"CREATE TABLE {q(name)} (LIKE {q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    if _rows(cursor, "SELECT to_regclass(%s)", [default])[0][0] is not None:
        cursor.execute(f"LOCK TABLE {q(default)} IN EXCLUSIVE MODE")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {q(default)} WHERE {column} >= {start} AND {column} < {end} RETURNING *) "
            f"INSERT INTO {q(name)} SELECT * FROM moved"
        )
    cursor.execute(f"ALTER TABLE {q(table)} ATTACH PARTITION {q(name)} FOR VALUES FROM ({start}) TO ({end})")
    return name


def _existing_months(cursor: Any, table: str) -> set[dt.date]:
    months = set()
    for (name,) in _rows(
        cursor,
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
        [table],
    ):
        match = re.fullmatch(re.escape(table) + r"_p(\d{4})(\d{2})", name)
        if match:
            months.add(dt.date(int(match[1]), int(match[2]), 1))
    return months


# --- convert and revert -------------------------------------------------------------------------------


def convert_to_monthly(
    schema_editor: Any,
    model: type[models.Model],
    key: str,
    *,
    months_ahead: int = 3,
    drop_uniques: Sequence[str] = (),
) -> None:
    """Make `model`'s filled table a monthly-partitioned one, keeping every row, id, index name, check, FK and trigger.

    Runs in the migration's transaction (the table is locked ACCESS EXCLUSIVE until the commit): the old
    table is renamed, the partitioned one created with a partition per month that has rows and per month
    from the current one to `months_ahead` after it, plus DEFAULT; the rows are copied (INSERT … SELECT),
    the old table dropped, and then indexes, constraints, triggers and the identity recreated under their
    names (triggers after the copy, so the copy does not count rows twice in a rollup).
    """
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table, meta = model._meta.db_table, model._meta
    key_column, pk_column = _column(model, key), _column(model, meta.pk.name)
    q = lambda n: _q(connection, n)  # noqa: E731
    old = f"{table}__plain"
    with connection.cursor() as cursor:
        if is_partitioned(table, using=connection.alias):
            return
        cursor.execute(f"LOCK TABLE {q(table)} IN ACCESS EXCLUSIVE MODE")
        shape = _shape(cursor, table, key_column)
        _check_incoming(model, shape)
        _check_uniques(shape, table, key_column, drop_uniques)
        identity, sequence, last_value, is_called = _identity(cursor, table, pk_column)
        for referencing, fk in shape.incoming:
            cursor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {q(fk)}")
        if sequence and not identity:  # a serial: keep its sequence when the old table goes
            cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        # Defaults (a serial's nextval too) and NOT NULLs come along; identity, indexes, checks, FKs are added below.
        cursor.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS) "
            f"PARTITION BY RANGE ({q(key_column)})"
        )
        for name, contype, definition, _has_key in shape.constraints:
            if contype == "c":  # checks first: a partition must carry every check of its parent
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        cursor.execute(f"CREATE TABLE {q(default_name(table))} PARTITION OF {q(table)} DEFAULT")
        month_sql = _month_sql(model, key, q(key_column))
        months = {
            m for (m,) in _rows(cursor, f"SELECT DISTINCT {month_sql} FROM {q(old)} WHERE {q(key_column)} IS NOT NULL")
        }
        now = current_month()
        months |= {add_months(now, n) for n in range(months_ahead + 1)}
        for month in sorted(months):
            _create_partition(cursor, connection, model, key, month)
        cursor.execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
        cursor.execute(f"DROP TABLE {q(old)}")
        pk = next((n for n, t, _d, _k in shape.constraints if t == "p"), f"{table}_pkey")
        cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(pk)} PRIMARY KEY ({q(pk_column)}, {q(key_column)})")
        for name, contype, definition, _has_key in shape.constraints:
            if contype in "ufx" and name not in drop_uniques:
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for name, definition, _has_key in shape.unique_indexes:
            if name not in drop_uniques:
                cursor.execute(definition)
        for _name, definition in shape.indexes:
            cursor.execute(definition)
        for _name, definition in shape.triggers:
            cursor.execute(definition)
        _restore_sequence(cursor, connection, table, pk_column, identity, sequence, last_value, is_called)
        cursor.execute(f"ANALYZE {q(table)}")


def _restore_sequence(
    cursor: Any,
    connection: Any,
    table: str,
    column: str,
    identity: str,
    sequence: str | None,
    last: int | None,
    called: bool,
) -> None:
    q = lambda n: _q(connection, n)  # noqa: E731
    if identity:
        kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
        cursor.execute(f"ALTER TABLE {q(table)} ALTER COLUMN {q(column)} ADD GENERATED {kind} AS IDENTITY")
    elif sequence:
        cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {q(table)}.{q(column)}")
    new_sequence = _rows(cursor, "SELECT pg_get_serial_sequence(%s, %s)", [table, column])[0][0]
    if new_sequence and last is not None:
        cursor.execute("SELECT setval(%s, %s, %s)", [new_sequence, last, called])


def revert_to_plain(schema_editor: Any, model: type[models.Model], key: str) -> None:
    """The reverse of `convert_to_monthly`: one plain table with every row, id, index, check, FK and trigger.

    The primary key is `id` again, and every unique rule the model (in the migration's state) declares
    and the table lacks (those passed in drop_uniques) is created again. Foreign keys from other tables
    come back with their own migration's reverse (the AlterField of db_constraint).
    """
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or not is_partitioned(model._meta.db_table, using=connection.alias):
        return
    table, meta = model._meta.db_table, model._meta
    key_column, pk_column = _column(model, key), _column(model, meta.pk.name)
    q = lambda n: _q(connection, n)  # noqa: E731
    old = f"{table}__partitioned"
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {q(table)} IN ACCESS EXCLUSIVE MODE")
        shape = _shape(cursor, table, key_column)
        identity, sequence, last_value, is_called = _identity(cursor, table, pk_column)
        if sequence and not identity:
            cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
        cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(old)}")
        cursor.execute(
            f"CREATE TABLE {q(table)} (LIKE {q(old)} INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        cursor.execute(f"INSERT INTO {q(table)} SELECT * FROM {q(old)}")
        cursor.execute(f"DROP TABLE {q(old)} CASCADE")
        pk = next((n for n, t, _d, _k in shape.constraints if t == "p"), f"{table}_pkey")
        cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(pk)} PRIMARY KEY ({q(pk_column)})")
        for name, contype, definition, _has_key in shape.constraints:
            if contype in "ucfx":
                cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        for _name, definition, _has_key in shape.unique_indexes:
            cursor.execute(definition)
        for _name, definition in shape.indexes:
            cursor.execute(definition)
        for _name, definition in shape.triggers:
            cursor.execute(definition)
        _restore_sequence(cursor, connection, table, pk_column, identity, sequence, last_value, is_called)
        present = set(connection.introspection.get_constraints(cursor, table))
    for field in meta.local_fields:
        if field.unique and not field.primary_key and f"{table}_{field.column}_key" not in present:
            schema_editor.execute(
                f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(f'{table}_{field.column}_key')} UNIQUE ({q(field.column)})"
            )
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name not in present:
            schema_editor.add_constraint(model, constraint)


# --- upkeep: future partitions, listing ---------------------------------------------------------------


def _model(label_or_model: str | type[models.Model]) -> type[models.Model]:
    if isinstance(label_or_model, str):
        return global_apps.get_model(label_or_model)
    return label_or_model


def ensure_partitions(
    model: type[models.Model] | str, *, months_ahead: int = 3, using: str = "default", key: str | None = None
) -> list[str]:
    """Create the missing partitions from this month to `months_ahead` after it, and one for every month
    that has rows waiting in the DEFAULT partition (moving them in); the names of those created.

    Idempotent, one short transaction; a no-op (empty list) on SQLite or when the table is not partitioned.
    """
    model = _model(model)
    table = model._meta.db_table
    if not is_partitioned(table, using=using):
        return []
    key = key or registry().get(model._meta.label) or _partition_key(table, using)
    connection = connections[using]
    created = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        existing = _existing_months(cursor, table)
        now = current_month()
        wanted = {add_months(now, n) for n in range(months_ahead + 1)}
        column = _q(connection, _column(model, key))
        default = default_name(table)
        if _rows(cursor, "SELECT to_regclass(%s)", [default])[0][0] is not None:
            month_sql = _month_sql(model, key, column)
            wanted |= {
                m
                for (m,) in _rows(
                    cursor, f"SELECT DISTINCT {month_sql} FROM {_q(connection, default)} WHERE {column} IS NOT NULL"
                )
            }
        for month in sorted(wanted - existing):
            created.append(_create_partition(cursor, connection, model, key, month))
    return created


def _partition_key(table: str, using: str) -> str:
    """The column the table is partitioned by (one column), as a field name of the model."""
    with connections[using].cursor() as cursor:
        (column,) = _rows(
            cursor,
            "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
            "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = to_regclass(%s)",
            [table],
        )[0]
    model = next(m for m in global_apps.get_models() if m._meta.db_table == table)
    return next(f.name for f in model._meta.concrete_fields if f.column == column)


@dataclass(frozen=True)
class PartitionInfo:
    name: str
    start: dt.datetime | dt.date | None  # None: the DEFAULT partition
    end: dt.datetime | dt.date | None
    rows: int | None  # the planner's estimate (None before the first ANALYZE)
    bytes: int  # table, indexes and TOAST

    @property
    def month(self) -> dt.date | None:
        if self.start is None:
            return None
        start = self.start.astimezone(_zone()) if isinstance(self.start, dt.datetime) else self.start
        return dt.date(start.year, start.month, 1)


def _parse_bound(value: str) -> dt.datetime | dt.date:
    value = value.strip().strip("'")
    if len(value) == 10:
        return dt.date.fromisoformat(value)
    return dt.datetime.fromisoformat(value if re.search(r"[+-]\d\d:\d\d$", value) else value + ":00")


def list_partitions(model: type[models.Model] | str, using: str = "default") -> list[PartitionInfo]:
    """Every partition of the model's table, oldest first, DEFAULT last; empty when not partitioned."""
    model = _model(model)
    table = model._meta.db_table
    if not is_partitioned(table, using=using):
        return []
    out = []
    with connections[using].cursor() as cursor:
        for name, bound, tuples, size in _rows(
            cursor,
            # The planner's estimate is 0 for a partition filled since its last ANALYZE; the statistics' live
            # count is current (it is reset with the statistics, hence the greater of the two).
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), "
            "GREATEST(c.reltuples, pg_stat_get_live_tuples(c.oid)), pg_total_relation_size(c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)",
            [table],
        ):
            match = re.search(r"FROM \((.+)\) TO \((.+)\)", bound)
            start = _parse_bound(match[1]) if match else None
            end = _parse_bound(match[2]) if match else None
            out.append(PartitionInfo(name, start, end, None if tuples < 0 else int(tuples), int(size)))
    return sorted(out, key=lambda p: (p.start is None, p.month or dt.date.min))


# --- retention: detach, export, drop ------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    partition: str
    path: Path
    rows: int


def detach_and_archive(
    model: type[models.Model] | str,
    month: dt.date,
    *,
    directory: str | os.PathLike[str],
    using: str = "default",
    lock_timeout_ms: int = 5000,
    progress: Any = None,
) -> Archive:
    """Detach one month's partition, export its rows (gzip JSON lines), verify the count, drop it.

    DETACH PARTITION … CONCURRENTLY cannot run inside a transaction block and leaves a half-detached
    partition when interrupted; a plain DETACH needs an ACCESS EXCLUSIVE lock on the parent, but only for
    the catalogue change. So: a plain DETACH in its own short transaction with a lock_timeout (it gives up
    rather than queue writers behind a long reader; run it again later), then the export reads the
    detached table without any lock on the parent, then the file is read back and its rows counted, and
    only then the table is dropped. If the export or the check fails, the partition is attached again.

    Rows are exported as stored (`row_to_json`): encrypted columns stay encrypted, hashes stay hashes;
    the file is as sensitive as the table was and is kept with the same access rules (docs/partitions.md).
    The current and future months are refused. `progress(n)` is called with each batch's row count.
    """
    model = _model(model)
    table = model._meta.db_table
    month = month.replace(day=1)
    if month >= current_month():
        raise PartitionError(f"{table}: {month:%Y-%m} is the current or a future month; only past months are archived")
    if not is_partitioned(table, using=using):
        raise PartitionError(f"{table} is not partitioned")
    connection = connections[using]
    q = lambda n: _q(connection, n)  # noqa: E731
    name = partition_name(table, month)
    info = next((p for p in list_partitions(model, using) if p.name == name), None)
    if info is None:
        raise PartitionError(f"{table} has no partition {name}")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
        cursor.execute(f"ALTER TABLE {q(table)} DETACH PARTITION {q(name)}")
    try:
        path, rows = _export(connection, name, _column(model, model._meta.pk.name), Path(directory), progress, using)
    except Exception:
        key = registry().get(model._meta.label) or _partition_key(table, using)
        with transaction.atomic(using=using), connection.cursor() as cursor:
            start, end = _bound(model, key, month), _bound(model, key, add_months(month, 1))
            cursor.execute(f"ALTER TABLE {q(table)} ATTACH PARTITION {q(name)} FOR VALUES FROM ({start}) TO ({end})")
        raise
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {q(name)}")
    return Archive(name, path, rows)


def _export(connection: Any, name: str, pk: str, directory: Path, progress: Any, using: str) -> tuple[Path, int]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    path = directory / f"{name}.{stamp}.jsonl.gz"
    partial = path.with_suffix(".partial")
    with connection.cursor() as cursor:
        (expected,) = _rows(cursor, f"SELECT count(*) FROM {_q(connection, name)}")[0]
    written = 0
    partial.touch(mode=0o600)  # the rows as stored: ciphertexts and hashes, but still personal data
    # A named (server-side) cursor: memory stays one batch whatever the partition's size.
    with (
        transaction.atomic(using=using),
        gzip.open(partial, "wt", encoding="utf-8") as out,
        connection.connection.cursor(name=f"archive_{name}") as cursor,
    ):
        cursor.itersize = 5000
        cursor.execute(f"SELECT row_to_json(p)::text FROM {_q(connection, name)} p ORDER BY p.{_q(connection, pk)}")
        while batch := cursor.fetchmany(5000):
            out.writelines(line + "\n" for (line,) in batch)
            written += len(batch)
            if progress:
                progress(len(batch))
    with gzip.open(partial, "rt", encoding="utf-8") as check:
        counted = sum(1 for line in check if json.loads(line) is not None)
    if not (counted == written == expected):
        partial.unlink(missing_ok=True)
        raise PartitionError(f"{name}: exported {counted} rows of {expected}; the partition is kept")
    os.replace(partial, path)
    return path, counted


def restore_archive(model: type[models.Model] | str, path: str | os.PathLike[str], *, using: str = "default") -> int:
    """Load an archive file back into the table (through the parent: rows land in their month's partition,
    or in DEFAULT, from which `ensure_partitions` moves them). Ids are kept; the number of rows loaded."""
    model = _model(model)
    connection = connections[using]
    table = _q(connection, model._meta.db_table)
    sql = f"INSERT INTO {table} SELECT r.* FROM unnest(%s::json[]) AS j, json_populate_record(NULL::{table}, j) AS r"
    loaded = 0
    with (
        transaction.atomic(using=using),
        gzip.open(path, "rt", encoding="utf-8") as lines,
        connection.cursor() as cursor,
    ):
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 1000:
                cursor.execute(sql, [batch])
                loaded, batch = loaded + len(batch), []
        if batch:
            cursor.execute(sql, [batch])
            loaded += len(batch)
    return loaded


# --- the migration operation --------------------------------------------------------------------------


class PartitionByMonth(Operation):
    """`migrations.RunPython(convert_to_monthly, revert_to_plain)` as one reversible operation.

    Changes no model state: the models keep `id` as their primary key (the database's is (id, key)).
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name: str, key: str, *, months_ahead: int = 3, drop_uniques: Sequence[str] = ()) -> None:
        self.model_name, self.key = model_name, key
        self.months_ahead, self.drop_uniques = months_ahead, tuple(drop_uniques)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"months_ahead": self.months_ahead}
        if self.drop_uniques:
            kwargs["drop_uniques"] = self.drop_uniques
        return (self.__class__.__qualname__, [self.model_name, self.key], kwargs)

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Nothing: the models are the same before and after; only the database's storage of the table changes."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        convert_to_monthly(
            schema_editor, model, self.key, months_ahead=self.months_ahead, drop_uniques=self.drop_uniques
        )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        revert_to_plain(schema_editor, to_state.apps.get_model(app_label, self.model_name), self.key)

    def describe(self) -> str:
        return f"Partition {self.model_name} by month of {self.key} (PostgreSQL)"


# --- the daily upkeep and the retention rule ----------------------------------------------------------


def partitioned_models() -> list[tuple[type[models.Model], str]]:
    """(model, key) of every registered model that is installed."""
    out = []
    for label, key in registry().items():
        try:
            out.append((global_apps.get_model(label), key))
        except LookupError:
            logger.warning("partitions: %s is registered but not installed", label)
    return out


def archivable(model: type[models.Model] | str, before: dt.date, *, using: str = "default") -> list[PartitionInfo]:
    """The monthly partitions older than `before` (never the current or a future month), oldest first."""
    limit = min(before.replace(day=1), current_month())
    return [p for p in list_partitions(model, using) if p.month is not None and p.month < limit]


def maintain(*, using: str = "default") -> dict[str, list[str]]:
    """Ensure the partitions ahead for every registered model; with PARTITION_RETENTION_MONTHS > 0, archive
    the months older than that to PARTITION_ARCHIVE_DIR. What was created and archived, by table."""
    ahead = int(getattr(settings, "PARTITION_MONTHS_AHEAD", 3))
    retention = int(getattr(settings, "PARTITION_RETENTION_MONTHS", 0))
    done: dict[str, list[str]] = {}
    failed = []
    for model, key in partitioned_models():
        table = model._meta.db_table
        try:
            done[table] = _maintain_one(model, key, ahead, retention, using)
        except Exception:  # one table's trouble (a lock time-out) must not keep the others' partitions back
            logger.exception("partitions: upkeep of %s failed", table)
            failed.append(table)
    if failed:
        raise PartitionError(f"partition upkeep failed for {', '.join(failed)} (see the log); the others were done")
    return done


def _maintain_one(model: type[models.Model], key: str, ahead: int, retention: int, using: str) -> list[str]:
    table = model._meta.db_table
    done = ensure_partitions(model, months_ahead=ahead, using=using, key=key)
    if done:
        logger.info("partitions: %s created %s", table, ", ".join(done))
    if retention > 0:
        before = add_months(current_month(), -retention)
        for info in archivable(model, before, using=using):
            assert info.month is not None  # noqa: S101 - archivable() lists monthly partitions only
            archive = detach_and_archive(model, info.month, directory=settings.PARTITION_ARCHIVE_DIR, using=using)
            logger.info("partitions: %s archived %d rows to %s", archive.partition, archive.rows, archive.path)
            done.append(f"archived {archive.partition}")
    return done
