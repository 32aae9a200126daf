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
