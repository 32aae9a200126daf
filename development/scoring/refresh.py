"""A complaint's verdict changed (complaints.signals.complaint_verdict_changed): compute its month again.

Before the month is locked, an "unfounded" verdict gives the points back (and a founded one takes them)
at the next computation, queued here; after the lock the published month stays as it is and the member
of staff corrects it through an appeal on the complaints indicator.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ScoringRun, ScoringRunEvent, month_start

logger = logging.getLogger(__name__)


def on_complaint_verdict_changed(*, instance: Any, **_kwargs: object) -> None:
    """Receivers run after the verdict's commit and must not raise (the verdict is saved already)."""
    try:
        scoring_month_refresh(
            centre_id=instance.centre_id,
            month=month_start(timezone.localtime(instance.received_at).date()),
            note=_("投诉 %(no)s 的核实结论变更") % {"no": instance.tracking_no},
        )
    except Exception:
        logger.exception("could not queue the service-star month of complaint %s", instance.id)


def scoring_month_refresh(*, centre_id: int, month: Any, note: str) -> ScoringRun | None:
    """Queue a not yet locked month's computation again; a locked or never computed month is left alone."""
    from ..tasks import scoring_run_month_task

    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().filter(centre_id=centre_id, month=month).first()
        if run is None or run.is_locked:
            return run
        if run.status != ScoringRun.Status.QUEUED:
            ScoringRunEvent.objects.create(
                run=run, old_status=run.status, new_status=ScoringRun.Status.QUEUED, actor=None, note=note
            )
            run.status = ScoringRun.Status.QUEUED
            run.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda: scoring_run_month_task.delay(centre_id, month.isoformat(), None))
    return run
