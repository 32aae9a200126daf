"""Free text that citizens and staff type, stored without phone or ID numbers in clear.

A text field declared as `ScrubbedTextField` / `ScrubbedCharField` keeps `scrub(text)` in its own
column: the display and search copy, so every list, detail page, API response and export that reads
the field shows the numbers masked without knowing about it. With `keep_original=True` the model also
declares `<field>_sealed = sealed_copy()` (after the field): an encrypted column that holds the full
text only when it differs from the scrubbed copy. The full text leaves the system only through an
app's permission-checked, logged reveal (`original_text`).

Every write goes through the field, whatever the path (forms, services, serializers, imports, the
admin, `bulk_create`): `pre_save` scrubs and seals; `get_prep_value` scrubs too, so a
`QuerySet.update()` or a look-up never puts or compares a clear number in that column.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from django.core import checks
from django.db import models
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _

from .crypto import EncryptedCharField
from .masking import scrub

SEALED_SUFFIX = "_sealed"


def seal(text: str, *, previous_sealed: str = "") -> tuple[str, str]:
    """(display, sealed): `scrub(text)`, and the full text when it differs from that ("" otherwise).

    A record read back and saved again carries only its display copy; when that copy is unchanged
    the original kept before (`previous_sealed`) stays, instead of being lost on every save."""
    display = scrub(text)
    if display != text:
        return display, text
    if previous_sealed and scrub(previous_sealed) == text:
        return display, previous_sealed
    return display, ""


def scrub_json(value: Any) -> Any:
    """`scrub` applied to every string inside JSON-like data (SMS parameters, stored payloads)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_json(key): scrub_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_json(item) for item in value]
    return value


def sealed_copy() -> EncryptedCharField:
    """The encrypted sibling `<field>_sealed` of a `keep_original` field (never edited by hand)."""
    return EncryptedCharField(_("原文（加密）"), blank=True, default="", editable=False)


def original_text(instance: models.Model, field_name: str) -> str:
    """The full text of a scrubbed field: the sealed original when there is one, else the display copy.

    Only for a permission-checked, logged reveal."""
    sealed = getattr(instance, field_name + SEALED_SUFFIX, "") or ""
    return sealed or (getattr(instance, field_name) or "")


def _pre_save(field: models.Field[Any, Any], instance: models.Model, keep_original: bool) -> str | None:
    value = getattr(instance, field.attname)
    if value is None:
        return None
    value = str(value)
    sealed_attname = field.attname + SEALED_SUFFIX
    if keep_original:
        display, sealed = seal(value, previous_sealed=getattr(instance, sealed_attname, "") or "")
        setattr(instance, sealed_attname, sealed)
    else:
        display = scrub(value)
    # The saved object shows what the database holds: an API response built from it right after a
    # create is masked like every later read.
    setattr(instance, field.attname, display)
    return display


def _check(field: models.Field[Any, Any], keep_original: bool) -> list[checks.CheckMessage]:
    if not keep_original or not hasattr(field, "model"):
        return []
    sibling_name = field.name + SEALED_SUFFIX
    try:
        sibling = field.model._meta.get_field(sibling_name)
    except Exception:  # FieldDoesNotExist; any other failure is the same misconfiguration
        return [checks.Error(f"{field.name} keeps its original but the model has no {sibling_name}", obj=field)]
    if not isinstance(sibling, EncryptedCharField) or sibling.creation_counter < field.creation_counter:
        # pre_save fills the sibling; Django saves fields in declaration order, so it must come after.
        return [checks.Error(f"{sibling_name} must be an EncryptedCharField declared after {field.name}", obj=field)]
    return []


class ScrubbedTextField(models.TextField):
    """A TextField whose column never holds a phone or ID number in clear (see the module)."""

    def __init__(self, *args: Any, keep_original: bool = False, **kwargs: Any) -> None:
        self.keep_original = keep_original
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.keep_original:
            kwargs["keep_original"] = True
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *_check(self, self.keep_original)]

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return _pre_save(self, model_instance, self.keep_original)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return scrub(value) if isinstance(value, str) else value


class ScrubbedCharField(models.CharField):
    """A CharField whose column never holds a phone or ID number in clear. Scrubbing never
    lengthens a text, so `max_length` still holds."""

    def __init__(self, *args: Any, keep_original: bool = False, **kwargs: Any) -> None:
        self.keep_original = keep_original
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.keep_original:
            kwargs["keep_original"] = True
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *_check(self, self.keep_original)]

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        return _pre_save(self, model_instance, self.keep_original)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return scrub(value) if isinstance(value, str) else value


class ScrubbedJSONField(models.JSONField):
    """A JSONField whose every string (keys and values, at any depth) is stored through `scrub`:
    for stored error rows and payloads that quote what someone typed. Masked only, no original."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = scrub_json(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(scrub_json(value))


def _guard_update_fields(
    sender: type[models.Model], update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    """`save(update_fields=[...])` naming a sealed field must name its sibling too, or the full
    original is silently dropped (the display copy is saved, its original is not)."""
    if not update_fields:
        return
    for name in _kept_originals(sender):
        if name in update_fields and name + SEALED_SUFFIX not in update_fields:
            raise ValueError(f"save(update_fields=...) names {sender.__name__}.{name} but not {name}{SEALED_SUFFIX}")


@cache
def _kept_originals(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.name for f in model._meta.concrete_fields if getattr(f, "keep_original", False))


def connect_guard() -> None:
    pre_save.connect(_guard_update_fields, dispatch_uid="govservice.sealed.guard_update_fields")


def sealed_fields(*names: str) -> list[str]:
    """`update_fields` for sealed fields: each name with its `_sealed` sibling."""
    return [part for name in names for part in (name, name + SEALED_SUFFIX)]


# --- existing rows (data migrations) -------------------------------------------------------

# {model name: {field name: keep_original}} for one app's data migration.
RowSpec = dict[str, dict[str, bool]]
# Rows read and written per round trip by the data migrations.
MIGRATION_BATCH_SIZE = 500


def scrub_existing_rows(apps: Any, app_label: str, spec: RowSpec, *, batch_size: int | None = None) -> int:
    """Scrub the display copy of every row and seal its original (for `keep_original` fields).

    Meant for `RunPython` between adding the `_sealed` columns and switching the fields to the
    scrubbed classes, so the historical fields here are still plain text. Rows are read in batches
    by primary key (keyset, so writing while reading is safe on SQLite too) and written with one
    `bulk_update` per batch: a large table never sits in memory. Returns the number of rows changed;
    running it twice changes nothing the second time."""
    changed = 0
    for model_name, fields in spec.items():
        model = apps.get_model(app_label, model_name)
        written = list(fields) + [f"{n}{SEALED_SUFFIX}" for n, keep in fields.items() if keep]
        for page in _pages(model, written, batch_size or MIGRATION_BATCH_SIZE):
            dirty = [row for row in page if _scrub_row(row, fields)]
            if dirty:
                model._default_manager.bulk_update(dirty, written)
                changed += len(dirty)
    return changed


def restore_existing_rows(apps: Any, app_label: str, spec: RowSpec, *, batch_size: int | None = None) -> int:
    """The reverse of `scrub_existing_rows` where it can be: each sealed original goes back into its
    column. Fields scrubbed without a sealed copy stay masked (the numbers are gone by design)."""
    changed = 0
    for model_name, fields in spec.items():
        kept = [name for name, keep in fields.items() if keep]
        if not kept:
            continue
        model = apps.get_model(app_label, model_name)
        written = kept + [f"{n}{SEALED_SUFFIX}" for n in kept]
        for page in _pages(model, written, batch_size or MIGRATION_BATCH_SIZE):
            dirty = [row for row in page if _restore_row(row, kept)]
            if dirty:
                model._default_manager.bulk_update(dirty, written)
                changed += len(dirty)
    return changed


def _pages(model: Any, fields: list[str], batch_size: int) -> Iterator[list[Any]]:
    queryset = model._default_manager.order_by("pk").only("pk", *fields)
    last = None
    while True:
        page = list((queryset if last is None else queryset.filter(pk__gt=last))[:batch_size])
        if not page:
            return
        yield page
        last = page[-1].pk


def _scrub_row(row: Any, fields: dict[str, bool]) -> bool:
    dirty = False
    for name, keep in fields.items():
        value = getattr(row, name)
        if not value:
            continue
        if keep:
            display, sealed = seal(value, previous_sealed=getattr(row, name + SEALED_SUFFIX) or "")
            if sealed != (getattr(row, name + SEALED_SUFFIX) or ""):
                setattr(row, name + SEALED_SUFFIX, sealed)
                dirty = True
        else:
            display = scrub_json(value)  # a string, or the strings inside a JSON column
        if display != value:
            setattr(row, name, display)
            dirty = True
    return dirty


def _restore_row(row: Any, kept: list[str]) -> bool:
    dirty = False
    for name in kept:
        sealed = getattr(row, name + SEALED_SUFFIX)
        if sealed:
            setattr(row, name, sealed)
            setattr(row, name + SEALED_SUFFIX, "")
            dirty = True
    return dirty
