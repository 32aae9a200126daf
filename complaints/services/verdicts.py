"""The verdict of a complaint's verification (核实结论): founded, partly founded or unfounded.

Only a founded or partly founded complaint counts against the member of staff it names (service-star
scoring reads `complaints.selectors.complaint_verdict_counts_by_staff`); one without a verdict is
still being examined. Setting or changing the verdict records a history row and, after commit, sends
`signals.complaint_verdict_changed`, so a month not yet locked is computed again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govservice import access
from govservice.exceptions import NotPermitted, ValidationFailed
from staff.models import User

from .. import signals
from ..models import Complaint, ComplaintEvent


@transaction.atomic
def complaint_verdict_set(*, complaint_id: int, verdict: str, actor: User, note: str = "") -> Complaint:
    complaint = Complaint.objects.select_for_update().get(id=complaint_id)
    if not access.can_set_complaint_verdict(actor, complaint, staff_id=complaint.staff_id):
        raise NotPermitted(_("只有本中心的管理人员可以认定核实结论，被投诉人本人不可以。"))
    if verdict not in Complaint.Verdict.values:
        raise ValidationFailed(_("请选择核实结论。"), field="verdict")
    if complaint.kind != Complaint.Kind.COMPLAINT:
        raise ValidationFailed(_("建议不需要核实结论。"), field="verdict")
    if not note.strip():
        raise ValidationFailed(_("请写明核实情况。"), field="note")
    old = complaint.verdict
    if old == verdict:
        return complaint  # a repeated request is a no-op
    ComplaintEvent.objects.create(
        complaint=complaint,
        old_status=complaint.status,
        new_status=complaint.status,
        actor=actor,
        note=_("核实结论：%(old)s → %(new)s；%(note)s")
        % {
            "old": Complaint.Verdict(old).label if old else _("核实中"),
            "new": Complaint.Verdict(verdict).label,
            "note": note.strip(),
        },
    )
    complaint.verdict = verdict
    complaint.verdict_at = timezone.now()
    complaint.verdict_by = actor
    complaint.save(update_fields=["verdict", "verdict_at", "verdict_by", "updated_at"])
    transaction.on_commit(
        lambda: signals.complaint_verdict_changed.send(sender=Complaint, instance=complaint, old_verdict=old)
    )
    return complaint
