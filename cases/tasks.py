"""Periodic jobs for cases: time-limit warnings and missed correction deadlines.

Each task is idempotent by construction (DeadlineWarning's natural key, the
compare-and-set in case_transition), so running it twice or concurrently is safe
and `acks_late` redelivery after a worker death does no harm.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import Prefetch
from django.utils import timezone

from govservice.workdays import WorkCalendar

from .models import Case, CaseEvent
from .services import case_clock_warn, case_correction_expire

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def cases_warn_deadlines() -> int:
    """Warn at 50/80/100 % of the promised time for every case whose clock runs."""
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    cases = (
        Case.objects.filter(status__in=(Case.Status.ACCEPTED, Case.Status.IN_PROCESS))
        .select_related("matter_type", "handler", "first_responder")
        .prefetch_related(Prefetch("events", queryset=CaseEvent.objects.exclude(clock="")))
    )
    given = 0
    for case in cases.iterator(chunk_size=200):
        given += len(case_clock_warn(case=case, calendar=calendar, today=today))
    logger.info("case deadline warnings given: %s", given)
    return given


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def cases_expire_corrections() -> int:
    """Terminate cases whose correction deadline has passed (a leader may extend once before)."""
    ids = list(
        Case.objects.filter(
            status=Case.Status.AWAITING_CORRECTION, commitment__deadline__lt=timezone.localdate()
        ).values_list("id", flat=True)
    )
    terminated = sum(1 for case_id in ids if case_correction_expire(case_id=case_id))
    logger.info("cases terminated for missed correction: %s", terminated)
    return terminated
