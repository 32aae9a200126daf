"""Every constraint and index the models declare exists in the migrated database.

A migration that alters a column can take an index with it that Django did not mean to drop: on PostgreSQL,
lowering a foreign key's `db_index` dropped the partial unique index of "one rating per case" too, and a
case could be rated twice while the models (and SQLite, which rebuilds the table from them) still said no.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def test_every_declared_constraint_and_index_is_in_the_database():
    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = set(connection.introspection.get_constraints(cursor, model._meta.db_table))
            declared = [*model._meta.constraints, *model._meta.indexes]
            missing += [f"{model._meta.label}.{item.name}" for item in declared if item.name not in present]
    assert missing == []


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
                if (field.column,) in unique_columns:
                    continue
                if name is None or connection.vendor != "postgresql" or name not in triggers:
                    missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []
    assert {name for name, (label, _c) in TRIGGER_ENFORCED.items() if apps.get_model(label)} == set(TRIGGER_ENFORCED)
