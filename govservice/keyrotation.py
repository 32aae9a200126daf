"""Re-encrypt every encrypted column under the current key and recompute every lookup hash
(`manage.py rotate_field_keys`).

Which columns: every `EncryptedCharField` and every `LookupHashField` of every installed model, found
by field type (`apps.get_models()`), so a field added tomorrow is rotated without touching this module.
A hash field names its source (`lookup_source`, a field of the same model or a path through a foreign
key), and is recomputed from it.

How: table by table in batches ordered by primary key (keyset pagination: `pk > last`, never OFFSET),
memory bounded by the batch size. Each batch is read once, and the values to change are written by one
UPDATE per column and batch in its own transaction, with a compare-and-set per row (`… WHERE pk = … AND
column = <the value read>`): a row that the application changed meanwhile keeps the application's value
(which is already under the current key).

Resumable: a value already under the current key and a hash already equal to its recomputation are
skipped, so after a kill the command is simply run again; the batches done are then only read.
A value no configured key can read is reported (table, id, column) and left untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.db.models import ExpressionWrapper, F, TextField

from .crypto import EncryptedCharField, LookupHashField, encrypt, lookup_hash, read_stored

DEFAULT_BATCH_SIZE = 1000


@dataclass
class ColumnTally:
    """What happened to one column: rows looked at, already current, rewritten, unreadable, hashes without a
    source row (a foreign key that is empty: the hash can only be found with the old lookup key)."""

    table: str
    column: str
    kind: str  # "encrypted" | "hash"
    checked: int = 0
    current: int = 0
    changed: int = 0
    unreadable: int = 0
    no_source: int = 0


@dataclass
class RotationReport:
    columns: list[ColumnTally] = field(default_factory=list)
    unreadable: list[tuple[str, Any, str]] = field(default_factory=list)  # (table, pk, column)
    rows: int = 0

    @property
    def complete(self) -> bool:
        """Whether every value and hash is now under the current keys, so the old keys may be removed."""
        return not self.unreadable and not any(c.no_source for c in self.columns)


@dataclass(frozen=True)
class HashColumn:
    field: LookupHashField
    source_path: str
    source_encrypted: bool
    same_model: bool


@dataclass(frozen=True)
class ModelPlan:
    model: type[models.Model]
    encrypted: list[EncryptedCharField]
    hashes: list[HashColumn]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def fields(self) -> list[models.Field[Any, Any]]:
        """The columns rotated, in the order of the tallies and of `_rotate_batch`'s changes."""
        return [*self.encrypted, *(h.field for h in self.hashes)]


def _resolve_source(model: type[models.Model], path: str) -> models.Field[Any, Any]:
    """The field at the end of `lookup_source` (`phone`, `case__applicant_phone`)."""
    current = model
    parts = path.split("__")
    for i, name in enumerate(parts):
        try:
            found = current._meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(f"{model.__name__}: lookup_source {path!r} names no field") from exc
        if i == len(parts) - 1:
            if not isinstance(found, models.Field) or found.is_relation:
                raise ImproperlyConfigured(f"{model.__name__}: lookup_source {path!r} must end at a value field")
            return found
        if not (found.is_relation and found.many_to_one or found.one_to_one) or found.related_model is None:
            raise ImproperlyConfigured(f"{model.__name__}: lookup_source {path!r} must follow foreign keys")
        related = found.related_model
        if isinstance(related, str):  # an unresolved lazy reference: the app registry is not ready
            raise ImproperlyConfigured(f"{model.__name__}: lookup_source {path!r} is not resolved")
        current = related
    raise ImproperlyConfigured(f"{model.__name__}: empty lookup_source")


def discover() -> list[ModelPlan]:
    """Every concrete model with an encrypted column or a lookup hash, in app registry order."""
    plans = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or not opts.managed:
            continue
        encrypted = [f for f in opts.concrete_fields if isinstance(f, EncryptedCharField)]
        hashes = []
        for f in opts.concrete_fields:
            if isinstance(f, LookupHashField):
                source = _resolve_source(model, f.lookup_source)
                hashes.append(
                    HashColumn(
                        field=f,
                        source_path=f.lookup_source,
                        source_encrypted=isinstance(source, EncryptedCharField),
                        same_model="__" not in f.lookup_source,
                    )
                )
        if encrypted or hashes:
            plans.append(ModelPlan(model=model, encrypted=encrypted, hashes=hashes))
    return plans


def _raw(path: str) -> ExpressionWrapper:
    """The column as stored (a TextField output has no converter: an encrypted value stays a token)."""
    return ExpressionWrapper(F(path), output_field=TextField())


def _read_batch(plan: ModelPlan, *, after: Any, size: int) -> list[tuple[Any, ...]]:
    """(pk, raw encrypted values…, hash values…, raw hash sources…) for the next `size` rows after `after`."""
    annotations: dict[str, Any] = {f"rot_enc_{i}": _raw(f.attname) for i, f in enumerate(plan.encrypted)}
    annotations |= {f"rot_src_{i}": _raw(h.source_path) for i, h in enumerate(plan.hashes)}
    queryset = plan.model._base_manager.order_by("pk").annotate(**annotations)
    if after is not None:
        queryset = queryset.filter(pk__gt=after)
    names = ["pk", *(f"rot_enc_{i}" for i in range(len(plan.encrypted)))]
    names += [h.field.attname for h in plan.hashes]
    names += [f"rot_src_{i}" for i in range(len(plan.hashes))]
    return list(queryset.values_list(*names)[:size])


Change = tuple[Any, str, str]  # (pk, value read, value to write)


UPDATE_ROWS = 1000  # rows per UPDATE statement: 3 parameters each, well below SQLite's 32,766


def _apply_batch(plan: ModelPlan, changes: list[list[Change]]) -> None:
    """One UPDATE per changed column, each row compare-and-set on the value read (see the module's docstring):

        UPDATE t SET c = v.column3 FROM (VALUES (pk, read, new), …) AS v WHERE t.pk = v.column1 AND t.c = v.column2

    Raw SQL through `connection.cursor()` (docs/private-api.md): the ORM's `Case(When(…))` for the same took
    14 s per 1,000 rows to resolve and compile and PostgreSQL 1.3 s to run its 1,000 conditions per row; this
    join took 0.5 s on the same loaded machine, most of it PostgreSQL writing the rows and their indexes.
    UPDATE … FROM runs on PostgreSQL and on SQLite ≥ 3.33; VALUES' columns are column1… on both."""
    if not any(changes):
        return
    connection = connections[router.db_for_write(plan.model)]
    quote = connection.ops.quote_name
    pk_field = plan.model._meta.pk
    if pk_field is None:  # never for a concrete model; the type allows it
        raise ImproperlyConfigured(f"{plan.table} has no primary key")
    table, pk = quote(plan.table), quote(str(pk_field.column))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for f, rows in zip(plan.fields, changes, strict=True):
            column = quote(str(f.column))
            for at in range(0, len(rows), UPDATE_ROWS):
                chunk = rows[at : at + UPDATE_ROWS]  # in pk order: the range below lets the pk index serve
                values = ", ".join(["(%s, %s, %s)"] * len(chunk))
                params = [
                    p
                    for pk_value, old, new in chunk
                    for p in (pk_field.get_db_prep_value(pk_value, connection), old, new)
                ]
                cursor.execute(
                    f"UPDATE {table} SET {column} = v.column3 FROM (VALUES {values}) AS v "  # noqa: S608 - names quoted
                    f"WHERE {table}.{pk} = v.column1 AND {table}.{column} = v.column2"
                    f" AND {table}.{pk} >= %s AND {table}.{pk} <= %s",
                    [*params, *(pk_field.get_db_prep_value(chunk[i][0], connection) for i in (0, -1))],
                )


def _rotate_batch(
    plan: ModelPlan, rows: list[tuple[Any, ...]], tallies: list[ColumnTally], report: RotationReport
) -> list[list[Change]]:
    """Tally the rows and say what to write: per column (in `plan.fields` order), (pk, value read, new value)."""
    n_enc, n_hash = len(plan.encrypted), len(plan.hashes)
    changes: list[list[Change]] = [[] for _ in tallies]
    for row in rows:
        pk = row[0]
        clear_of: dict[str, str | None] = {}  # source path → clear value (None: unreadable)
        for i, f in enumerate(plan.encrypted):
            tally, raw = tallies[i], row[1 + i]
            tally.checked += 1
            if not raw:
                tally.current += 1
                continue
            try:
                clear, current = read_stored(raw)
            except ValueError:
                tally.unreadable += 1
                report.unreadable.append((plan.table, pk, tally.column))
                clear_of[f.attname] = None
                continue
            clear_of[f.attname] = clear
            if current:
                tally.current += 1
            else:
                changes[i].append((pk, raw, encrypt(clear)))
        for j, h in enumerate(plan.hashes):
            tally, stored, raw = tallies[n_enc + j], row[1 + n_enc + j], row[1 + n_enc + n_hash + j]
            tally.checked += 1
            if raw is None and not h.same_model:
                # The source row is gone (a foreign key set to NULL): nothing to recompute from.
                if stored:
                    tally.no_source += 1
                else:
                    tally.current += 1
                continue
            source: str | None
            if h.source_path in clear_of:
                source = clear_of[h.source_path]
            else:
                try:
                    source = read_stored(raw)[0] if raw else ""
                except ValueError:
                    source = None
            if source is None:
                tally.unreadable += 1
                report.unreadable.append((plan.table, pk, tally.column))
                continue
            wanted = lookup_hash(source)
            if wanted == (stored or ""):
                tally.current += 1
            else:
                changes[n_enc + j].append((pk, stored or "", wanted))
    for tally, changed in zip(tallies, changes, strict=True):
        tally.changed += len(changed)
    return changes


def tallies_for(plan: ModelPlan) -> list[ColumnTally]:
    kinds = ["encrypted"] * len(plan.encrypted) + ["hash"] * len(plan.hashes)
    return [ColumnTally(plan.table, str(f.column), kind) for f, kind in zip(plan.fields, kinds, strict=True)]


Progress = Callable[[ModelPlan, int], Any]  # (plan, total rows) → an object with update(n) and close()


def rotate(
    *,
    plans: Iterable[ModelPlan] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> RotationReport:
    """Rotate every discovered column (or those of `plans`); see the module's docstring."""
    report = RotationReport()
    for plan in discover() if plans is None else plans:
        tallies = tallies_for(plan)
        report.columns.extend(tallies)
        bar = progress(plan, plan.model._base_manager.count()) if progress else None
        after = None
        try:
            while rows := _read_batch(plan, after=after, size=batch_size):
                after = rows[-1][0]
                _apply_batch(plan, _rotate_batch(plan, rows, tallies, report))
                report.rows += len(rows)
                if bar is not None:
                    bar.update(len(rows))
        finally:
            if bar is not None:
                bar.close()
    return report
