"""The full free text of a citizen's voice, for those who must call back; every view recorded.

The columns hold the scrubbed copy (govservice.sealed); the original is sealed beside it and is
read only here, after `access.can_reveal_citizen_words`, with a `TextAccess` row and a log line.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from govservice.sealed import original_text
from staff.models import User

from ..models import BadReview, Complaint, Escalation, Evaluation, TextAccess

logger = logging.getLogger(__name__)

Record = Complaint | Evaluation | Escalation

# The fields whose original is sealed, per kind of record (the `keep_original` ones).
REVEALABLE: dict[type[Record], tuple[str, tuple[str, ...]]] = {
    Complaint: (TextAccess.RecordKind.COMPLAINT, ("content", "reply", "callback_note")),
    Evaluation: (TextAccess.RecordKind.EVALUATION, ("text",)),
    Escalation: (TextAccess.RecordKind.ESCALATION, ("content", "report", "outcome")),
}


def _owner_id(record: Record) -> int | None:
    if isinstance(record, Escalation):
        return record.received_by_id
    if isinstance(record, Evaluation):
        try:
            return record.bad_review.owner_id
        except BadReview.DoesNotExist:
            return None
    return record.owner_id


def can_reveal_text(record: Record, user: User) -> bool:
    """Whether the page offers the reveal (the same rule the reveal itself checks)."""
    return access.can_reveal_citizen_words(user, record, owner_id=_owner_id(record))


@transaction.atomic
def feedback_text_reveal(*, record: Record, viewer: User, field: str) -> str:
    """The full text of one field, numbers unmasked, for a role that needs it; recorded."""
    kind, fields = REVEALABLE[type(record)]
    if field not in fields:
        raise ValidationFailed(_("字段无效。"), field="field")
    if not can_reveal_text(record, viewer):
        raise NotPermitted(_("您无权查看完整的个人信息。"))
    TextAccess.objects.create(record_kind=kind, record_id=record.pk, field=field, viewer=viewer)
    logger.info("free text viewed: %s=%s field=%s viewer=%s", kind, record.pk, field, viewer.username)
    return original_text(record, field)
