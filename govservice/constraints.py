"""Plain words for the database's constraints, next to the field a person can change.

Every `CheckConstraint` / `UniqueConstraint` stays in the database (the last line of defence), but a
form must never end in Django's "Constraint “matter_type_correction_within_promise” is violated." nor
in an IntegrityError page. A model lists, per constraint name, the field the message belongs to and a
sentence in the user's language (a callable of the instance, so it can name the limit):

    class MatterType(PlainConstraintErrors, TimeStampedModel):
        constraint_messages = {
            "matter_type_correction_within_promise": ConstraintMessage(
                "correction_days", lambda m: _("补正期限不能超过承诺时限（%(n)s 个工作日）") % {"n": m.promised_days}
            ),
        }

`full_clean()` (which every ModelForm, the admin's included, runs before saving) checks each constraint
first and reports a listed one on its field with that sentence; an unlisted one keeps Django's message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import router

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ConstraintMessage(NamedTuple):
    field: str  # the form field the message is shown next to (NON_FIELD_ERRORS for the form's top)
    message: Callable[[Any], StrOrPromise]  # the instance → one sentence (lazy or translated)


class PlainConstraintErrors:
    """Mixin for a model (put it first among the bases): constraint violations as field errors in words."""

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {}

    def validate_constraints(self, exclude: Any = None) -> None:
        errors: dict[str, list[ValidationError]] = {}
        using = router.db_for_write(self.__class__, instance=self)  # type: ignore[arg-type]  # mixed into a Model
        for model_class, constraints in self.get_constraints():  # type: ignore[attr-defined]
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    plain = self.constraint_messages.get(constraint.name)
                    if plain is not None:
                        field = plain.field if not exclude or plain.field not in exclude else NON_FIELD_ERRORS
                        errors.setdefault(field, []).append(ValidationError(plain.message(self), code=constraint.name))
                    elif getattr(error, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
