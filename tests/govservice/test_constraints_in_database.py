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
