"""Which case an outbox message is about (keys "case:<id>:…" and "evaluation-invite:<case id>")."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from notifications.subjects import Subject, id_after, register_subject

from .models import Case


def _case(prefix: str) -> Callable[[str], Subject | None]:
    def resolve(key: str) -> Subject | None:
        case_id = id_after(key, prefix)
        case = Case.objects.filter(id=case_id).only("id", "public_id", "tracking_no").first() if case_id else None
        if case is None:
            return None
        return Subject(label=_("办件 %(no)s") % {"no": case.tracking_no}, url=case.get_absolute_url())

    return resolve


def connect() -> None:
    for prefix in ("case:", "evaluation-invite:"):
        register_subject(prefix, _case(prefix))
