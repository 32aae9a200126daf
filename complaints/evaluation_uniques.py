"""The evaluation table's unique rules on PostgreSQL, where the table is partitioned by month (issue 21).

A unique index on a partitioned table must contain the partition key (`rated_at`); none of these rules does,
so on PostgreSQL each is kept by a BEFORE INSERT / UPDATE row trigger on the partitioned parent (cloned to
every partition, present and future) instead of a unique index:

1. take a transaction-scoped advisory lock on the rule's key (`pg_advisory_xact_lock(rule, bucket of the key)`,
   see LOCK_BUCKETS), so two writers of the same key queue there, the second until the first commits or rolls
   back;
2. look for another row with the key through a non-unique (partial) index, probed in every partition;
3. if there is one, raise SQLSTATE 23505 `unique_violation` naming the Django constraint, exactly as the unique
   index did: psycopg raises `UniqueViolation`, Django `IntegrityError`, and `exc.__cause__.diag.constraint_name`
   is the constraint's name; the intake's resend answer and "one rating per case" keep working unchanged.

Correct under READ COMMITTED (Django's default, the only level this project uses): each statement of the
function takes a new snapshot, so the look-up after the lock sees the row of a writer that just committed.
Under REPEATABLE READ or SERIALIZABLE the snapshot is older than the lock and a concurrent duplicate would be
invisible: the trigger refuses to write a keyed row there (SQLSTATE 0A000) rather than let one through.

`public_id` (a random UUID4 made by Django) keeps the real unique index (public_id, rated_at) that the
partitioned table allows, which also serves every look-up by public_id; a second row with the same public_id
and another rated_at would need a UUID4 collision (~n²/2¹²³) or code that copies a public_id (there is none:
the field is not editable and nothing assigns it). A trigger for it would cost every insert, not only the keyed
ones (measured below), for a duplicate that cannot happen.

Cost, measured on PostgreSQL 15 here (20,000 single-row INSERTs in one transaction, best of 3, a shared and
noisy machine): plain table 98 µs per insert without external id / 101 µs with one; partitioned with these
triggers 105 µs / 161 µs (the external-id trigger: lock + one index probe per partition); with a public_id
trigger as well 149 µs / 201 µs. Commits dominate a real intake request (~1 ms each here).

SQLite (the embedded default) has no partitions: the model's UniqueConstraints / unique fields stay real unique
indexes there, and nothing of this module is installed.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants only.

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "complaints_evaluation"
# The advisory lock is taken on one of this many buckets of the rule's key (the two-int form: its own space,
# apart from the one-bigint locks of complaints/one_rating.py), not on the key itself: a transaction holds its
# locks until it ends, and one that writes 20,000 keyed rows (an import) would otherwise hold 20,000 locks and
# exhaust PostgreSQL's lock table ("out of shared memory", measured). With buckets it holds at most this many
# per rule; two writers of different keys in one bucket wait for each other's commit (1 in 128 pairs).
LOCK_BUCKETS = 128


@dataclass(frozen=True)
class TriggerUnique:
    """A unique rule kept by a trigger: `columns` are unique among the rows where `where` holds."""

    constraint: str  # the name Django (and the error) gives the rule
    short: str  # names the trigger function and triggers
    columns: tuple[str, ...]
    where: str  # SQL over the row's columns (unqualified); the rule covers the rows where it holds
    index: str  # the non-unique index the look-up uses
    index_sql: str  # its definition (IF NOT EXISTS); empty: an index the model declares already serves

    @property
    def function(self) -> str:
        return f"evaluation_unique_{self.short}"

    @property
    def triggers(self) -> tuple[str, str]:
        return f"{self.function}_insert", f"{self.function}_update"

    def install_sql(self) -> list[str]:
        key = " || ':' || ".join(f"NEW.{c}::text" for c in self.columns)
        same = " AND ".join(f"e.{c} = NEW.{c}" for c in self.columns)
        others = self.where.format(**{c: f"e.{c}" for c in _COLUMNS})
        detail_columns = ", ".join(self.columns)
        detail_values = ", ".join("%s" for _ in self.columns)
        detail_args = ", ".join(f"NEW.{c}" for c in self.columns)
        function = f"""
        CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                    MESSAGE = 'the evaluation rule "{self.constraint}" is kept by a trigger that needs READ COMMITTED',
                    HINT = 'write evaluations in a READ COMMITTED transaction (complaints/evaluation_uniques.py)';
            END IF;
            PERFORM pg_advisory_xact_lock(hashtext('{self.constraint}'), (hashtextextended({key}, 0) & {LOCK_BUCKETS - 1})::int);
            IF EXISTS (SELECT 1 FROM {TABLE} AS e WHERE {same} AND {others} AND e.id <> NEW.id) THEN
                RAISE EXCEPTION USING ERRCODE = 'unique_violation', CONSTRAINT = '{self.constraint}',
                    TABLE = '{TABLE}', SCHEMA = current_schema(),
                    MESSAGE = 'duplicate key value violates unique constraint "{self.constraint}"',
                    DETAIL = format('Key ({detail_columns})=({detail_values}) already exists.', {detail_args});
            END IF;
            RETURN NEW;
        END
        $fn$"""
        insert, update = self.triggers
        new_has_key = self.where.format(**{c: f"NEW.{c}" for c in _COLUMNS})
        moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in sorted({*self.columns, *_where_columns(self)}))
        statements = [function]
        if self.index_sql:
            statements.append(self.index_sql)
        statements += [
            f"DROP TRIGGER IF EXISTS {insert} ON {TABLE}",
            f"DROP TRIGGER IF EXISTS {update} ON {TABLE}",
            # WHEN runs without entering PL/pgSQL: a row without the key (most ratings have no case, no
            # external id, and are no follow-up) costs the insert nothing here.
            f"CREATE TRIGGER {insert} BEFORE INSERT ON {TABLE} FOR EACH ROW WHEN ({new_has_key}) "
            f"EXECUTE FUNCTION {self.function}()",
            # An update that gives a row the key (or another one). One that moves the row to another partition
            # (a new rated_at) also fires the destination's BEFORE INSERT trigger; the row's own id is excluded.
            f"CREATE TRIGGER {update} BEFORE UPDATE ON {TABLE} FOR EACH ROW "
            f"WHEN (({new_has_key}) AND ({moved})) EXECUTE FUNCTION {self.function}()",
        ]
        return statements

    def uninstall_sql(self) -> list[str]:
        statements = [f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in self.triggers]
        statements.append(f"DROP FUNCTION IF EXISTS {self.function}()")
        if self.index_sql:
            statements.append(f"DROP INDEX IF EXISTS {self.index}")
        return statements


_COLUMNS = ("external_id", "case_id", "follow_up_of_id", "channel_id", "public_id")


def _where_columns(rule: TriggerUnique) -> tuple[str, ...]:
    return tuple(c for c in _COLUMNS if "{" + c + "}" in rule.where)


EXTERNAL_ID = TriggerUnique(
    constraint="evaluation_external_id_unique_per_channel",
    short="external_id",
    columns=("channel_id", "external_id"),
    where="{external_id} <> ''",
    index="evaluation_external_id_lookup",
    index_sql=(
        f"CREATE INDEX IF NOT EXISTS evaluation_external_id_lookup ON {TABLE} (channel_id, external_id) "
        "WHERE NOT external_id = ''"
    ),
)
ONCE_PER_CASE = TriggerUnique(
    constraint="evaluation_once_per_case",
    short="once_per_case",
    columns=("case_id",),
    where="{case_id} IS NOT NULL AND {follow_up_of_id} IS NULL",
    index="evaluation_case",  # the model's (case_id) WHERE case_id IS NOT NULL
    index_sql="",
)
FOLLOW_UP_OF = TriggerUnique(
    # The OneToOneField's unique constraint, under the name PostgreSQL gave it (Django creates it inline).
    constraint="complaints_evaluation_follow_up_of_id_key",
    short="follow_up_of",
    columns=("follow_up_of_id",),
    where="{follow_up_of_id} IS NOT NULL",
    index="evaluation_follow_up_of",
    index_sql=(
        f"CREATE INDEX IF NOT EXISTS evaluation_follow_up_of ON {TABLE} (follow_up_of_id) "
        "WHERE follow_up_of_id IS NOT NULL"
    ),
)
RULES = (EXTERNAL_ID, ONCE_PER_CASE, FOLLOW_UP_OF)

# The unique rules the partitioned table drops (convert_to_monthly's drop_uniques): the three above, and
# public_id's single-column unique constraint, replaced by PUBLIC_ID_INDEX.
DROPPED_UNIQUES = (*(rule.constraint for rule in RULES), "complaints_evaluation_public_id_key")
PUBLIC_ID_INDEX = "evaluation_public_id_rated_key"
PUBLIC_ID_SQL = f"CREATE UNIQUE INDEX IF NOT EXISTS {PUBLIC_ID_INDEX} ON {TABLE} (public_id, rated_at)"


def constraints_enforced_by_triggers() -> dict[str, str]:
    """Django constraint name → the trigger (on the partitioned table) that enforces it on PostgreSQL.

    For tests/govservice/test_constraints_in_database.py: a declared constraint that is not an index of the
    partitioned table must be listed here, and its trigger must exist.
    """
    return {rule.constraint: rule.triggers[0] for rule in RULES}


def install(connection: BaseDatabaseWrapper) -> None:
    """Install (or replace) the rules' triggers and look-up indexes, and public_id's (public_id, rated_at) key.

    PostgreSQL only; idempotent. Run after the table is partitioned (on a plain table they only repeat what
    its unique indexes already do).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for rule in RULES:
            for sql in rule.install_sql():
                cursor.execute(sql)
        cursor.execute(PUBLIC_ID_SQL)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {PUBLIC_ID_INDEX}")
        for rule in RULES:
            for sql in rule.uninstall_sql():
                cursor.execute(sql)
