"""Making a ledger problem public on the commitment board, and private again (承诺公示)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from staff.models import User

from ..models import ProblemEvent, PublicCommitment
from ._shared import _event, _load_for_update

COMMITMENT_MAX_LENGTH = 1000


@transaction.atomic
def commitment_publish(*, problem_id: int, actor: User, commitment: str) -> PublicCommitment:
    """Publish (or reword) a problem's public commitment; a leader of its centre decides."""
    problem = _load_for_update(problem_id, actor)
    if not access.can_publish_commitment(actor, problem):
        raise NotPermitted(_("只有该中心的领导可以公示整改承诺。"))
    commitment = commitment.strip()
    if not commitment:
        raise ValidationFailed(_("请填写公开承诺的内容。"), field="commitment")
    if len(commitment) > COMMITMENT_MAX_LENGTH:
        raise ValidationFailed(
            _("公开承诺最多 %(limit)d 个字。") % {"limit": COMMITMENT_MAX_LENGTH}, field="commitment"
        )
    row = PublicCommitment.objects.filter(problem=problem).first()
    if row is not None and row.commitment == commitment:
        return row  # a repeated request is a no-op
    now = timezone.now()
    if row is None:
        row = PublicCommitment.objects.create(
            problem=problem, commitment=commitment, published_by=actor, published_at=now
        )
        _event(problem, actor, ProblemEvent.Kind.PUBLISHED, note=commitment)
    else:
        old = row.commitment
        row.commitment, row.published_by = commitment, actor
        row.save(update_fields=["commitment", "published_by"])
        _event(problem, actor, ProblemEvent.Kind.PUBLISHED, note=commitment, changes={"commitment": [old, commitment]})
    return row


@transaction.atomic
def commitment_withdraw(*, problem_id: int, actor: User, reason: str = "") -> None:
    """Take a problem off the board: it disappears from the page, the feed and the JSON at once."""
    problem = _load_for_update(problem_id, actor)
    if not access.can_publish_commitment(actor, problem):
        raise NotPermitted(_("只有该中心的领导可以撤回公示。"))
    deleted, _rows = PublicCommitment.objects.filter(problem=problem).delete()
    if deleted:
        _event(problem, actor, ProblemEvent.Kind.WITHDRAWN, note=reason.strip())
