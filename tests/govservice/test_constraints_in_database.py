"""Every constraint and index the models declare exists in the migrated database.

A migration that alters a column can take an index with it that Django did not mean to drop: on PostgreSQL,
lowering a foreign key's `db_index` dropped the partial unique index of "one rating per case" too, and a
case could be rated twice while the models (and SQLite, which rebuilds the table from them) still said no.

A unique rule that a partitioned table cannot hold as an index (it lacks the partition key) is kept by a
trigger instead: each such rule is named in an explicit mapping (constraint name -> trigger), and that
trigger must exist on the table.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from complaints import evaluation_uniques

pytestmark = pytest.mark.django_db


def test_every_declared_constraint_and_index_is_in_the_database():
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            table = model._meta.db_table
            present = set(connection.introspection.get_constraints(cursor, table)) | _triggers_for(cursor, table)
            declared = [*model._meta.constraints, *model._meta.indexes]
            missing += [f"{model._meta.label}.{item.name}" for item in declared if item.name not in present]
    assert missing == []


def _by_trigger() -> dict[str, dict[str, str]]:
    """Table -> {constraint name: the trigger that keeps it on the partitioned table (PostgreSQL)}."""
    return {evaluation_uniques.TABLE: evaluation_uniques.constraints_enforced_by_triggers()}


def _triggers_for(cursor, table: str) -> set[str]:
    """The constraint names of `table` kept by an existing trigger (none on SQLite: the indexes are there)."""
    if connection.vendor != "postgresql":
        return set()
    rules = _by_trigger().get(table, {})
    cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
    triggers = {name for (name,) in cursor.fetchall()}
    return {constraint for constraint, trigger in rules.items() if trigger in triggers}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the rules are kept by triggers on PostgreSQL only")
def test_the_mapping_only_counts_a_rule_whose_trigger_exists():
    rule = evaluation_uniques.EXTERNAL_ID
    with connection.cursor() as cursor:
        assert rule.constraint in _triggers_for(cursor, rule_table := evaluation_uniques.TABLE)
        cursor.execute(f"DROP TRIGGER {rule.triggers[0]} ON {rule_table}")
        assert rule.constraint not in _triggers_for(cursor, rule_table)


def test_every_unique_field_is_unique_in_the_database_by_index_or_by_its_named_trigger():
    """A unique field on a table partitioned by another column cannot have its unique index; such a rule is
    listed in govservice.partition_uniques.TRIGGER_ENFORCED and kept by a trigger of the same name on PostgreSQL
    (SQLite keeps the index). Nothing else may be missing."""
    from govservice.partition_uniques import TRIGGER_ENFORCED

    by_trigger = {(label, columns): name for name, (label, columns) in TRIGGER_ENFORCED.items()}
    missing, triggers = [], set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            triggers = {row[0] for row in cursor.fetchall()}
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table).values()
            unique_columns = {tuple(c["columns"]) for c in constraints if c["unique"]}
            for field in model._meta.local_concrete_fields:
                if not field.unique or field.primary_key:
                    continue
                name = by_trigger.get((model._meta.label, (field.column,)))
                if (field.column,) in unique_columns or _unique_with_partition_key(model, field.column, unique_columns):
                    continue
                if (model._meta.db_table, (field.column,)) in _evaluation_rules_kept(cursor):
                    continue
                if name is None or connection.vendor != "postgresql" or name not in triggers:
                    missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []
    assert {name for name, (label, _c) in TRIGGER_ENFORCED.items() if apps.get_model(label)} == set(TRIGGER_ENFORCED)


def _unique_with_partition_key(model, column: str, unique_columns: set[tuple[str, ...]]) -> bool:
    """A random key (a UUID4 public id) kept unique together with the partition key: the one index a partitioned
    table allows (complaints/evaluation_uniques.py says why no trigger is needed for it)."""
    from govservice.partitions import registry

    key = registry().get(model._meta.label)
    return key is not None and (column, model._meta.get_field(key).column) in unique_columns


def _evaluation_rules_kept(cursor) -> set[tuple[str, tuple[str, ...]]]:
    """(table, columns) of the evaluation's unique rules whose triggers exist (complaints/evaluation_uniques.py)."""
    kept = _triggers_for(cursor, evaluation_uniques.TABLE)
    return {(evaluation_uniques.TABLE, rule.columns) for rule in evaluation_uniques.RULES if rule.constraint in kept}
