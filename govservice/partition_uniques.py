"""A unique rule a partitioned table cannot hold as an index, enforced by a trigger.

PostgreSQL builds a unique index on a partitioned table only when it contains the partition key: each
partition checks its own rows. A rule such as "one SMS per idempotency key, whatever its month" is then
kept by a BEFORE INSERT OR UPDATE row trigger on the parent (cloned to every partition) that:

1. takes a transaction-scoped advisory lock on (rule, a bucket of the value), so two writers of the same value queue
   there and the second one sees the first one's row once it has committed (READ COMMITTED: each statement
   of a plpgsql function takes a fresh snapshot);
2. looks the value up through the table's index on the column (one probe per partition: the key's month
   is not known, so no pruning);
3. raises SQLSTATE 23505 unique_violation naming the constraint the index had, with PostgreSQL's own
   message, so Django raises IntegrityError and the callers' handling (get_or_create's retry, the
   "already queued" answers) goes on working unchanged.

In REPEATABLE READ or SERIALIZABLE a writer that had to wait for the lock cannot see the other's row in
its snapshot: it gets 40001 serialization_failure instead (retry the transaction), never a duplicate.
A value NULL is never a duplicate (as with a unique index). Only the project's PostgreSQL uses this; on
SQLite the table keeps its ordinary unique index.

`TRIGGER_ENFORCED` maps each such rule (its former constraint name) to its model and columns; the test of
declared constraints checks that the trigger exists for each one.
"""

# ruff: noqa: S608 - names come from the model and the constants below, quoted; values are bound parameters.

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

# Advisory locks per rule (the two-int form, as complaints/evaluation_uniques.py): two writers of different
# values in one bucket wait for each other's commit (1 in 128 pairs), never for longer.
LOCK_BUCKETS = 128

# Former unique constraint (and trigger) name -> (model label, columns).
TRIGGER_ENFORCED: dict[str, tuple[str, tuple[str, ...]]] = {
    "notifications_smsmessage_key_key": ("notifications.SmsMessage", ("key",)),
}


def install_unique_trigger(schema_editor: Any, model: type[models.Model], columns: Sequence[str], name: str) -> None:
    """Create (or replace) the trigger `name` keeping `columns` (database column names) unique on the model's table."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    q = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk.column
    match = " AND ".join(f"t.{q(c)} = NEW.{q(c)}" for c in columns)
    any_null = " OR ".join(f"NEW.{q(c)} IS NULL" for c in columns)
    unchanged = " AND ".join(f"NEW.{q(c)} IS NOT DISTINCT FROM OLD.{q(c)}" for c in columns)
    value = " || chr(31) || ".join(f"NEW.{q(c)}::text" for c in columns)
    detail = ", ".join(columns)
    function = f"{name}_fn"[:63]
    schema_editor.execute(f"""
    CREATE OR REPLACE FUNCTION {q(function)}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        lock_key int;
        bucket int;
    BEGIN
        IF {any_null} THEN RETURN NEW; END IF;
        IF TG_OP = 'UPDATE' THEN
            IF {unchanged} THEN RETURN NEW; END IF;
        END IF;
        -- One of LOCK_BUCKETS locks of the rule, not one per value: a transaction keeps its locks until it ends,
        -- and one writing thousands of rows would exhaust the lock table ("out of shared memory").
        lock_key := hashtext('{name}');
        bucket := mod(mod(hashtextextended({value}, 0), {LOCK_BUCKETS}) + {LOCK_BUCKETS}, {LOCK_BUCKETS})::int;
        IF NOT pg_try_advisory_xact_lock(lock_key::int, bucket) THEN
            PERFORM pg_advisory_xact_lock(lock_key::int, bucket);
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE EXCEPTION 'could not serialize access: concurrent write of the same value under "{name}"'
                    USING ERRCODE = 'serialization_failure';
            END IF;
        END IF;
        IF EXISTS (SELECT 1 FROM {q(table)} t WHERE {match} AND t.{q(pk)} IS DISTINCT FROM NEW.{q(pk)}) THEN
            RAISE EXCEPTION 'duplicate key value violates unique constraint "{name}"'
                USING ERRCODE = 'unique_violation', CONSTRAINT = '{name}', TABLE = '{table}',
                      DETAIL = 'Key ({detail}) already exists.';
        END IF;
        RETURN NEW;
    END
    $fn$""")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {q(name)} ON {q(table)}")
    schema_editor.execute(
        f"CREATE TRIGGER {q(name)} BEFORE INSERT OR UPDATE OF {', '.join(q(c) for c in columns)} ON {q(table)} "
        f"FOR EACH ROW EXECUTE FUNCTION {q(function)}()"
    )


def remove_unique_trigger(schema_editor: Any, model: type[models.Model], name: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    q = connection.ops.quote_name
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {q(name)} ON {q(model._meta.db_table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {q(f'{name}_fn'[:63])}()")
