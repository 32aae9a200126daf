"""Periodic jobs for cases: time-limit warnings and missed correction deadlines.

Each task is idempotent by construction (DeadlineWarning's natural key, the
compare-and-set in case_transition), so running it twice or concurrently is safe
and `acks_late` redelivery after a worker death does no harm.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db.models import Max, Prefetch, Q
from django.utils import timezone

from govservice.workdays import WorkCalendar

from .models import CLOSED_STATUSES, Case, CaseEvent, Handover
from .services import case_clock_warn, case_correction_expire, case_stall_check, handover_remind

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
def cases_report_stalls() -> int:
    """Tell first responders about open cases with no step for 3 working days (首问负责制: follow it through)."""
    calendar = WorkCalendar.load()
    today = timezone.localdate()
    cases = (
        Case.objects.exclude(status__in=CLOSED_STATUSES)
        .select_related("handler", "first_responder")
        # Warnings are the system talking, not a step of the case: they do not end a quiet spell.
        .annotate(
            last_at=Max("events__created_at", filter=~Q(events__kind=CaseEvent.Kind.WARNING)),
            last_id=Max("events__id", filter=~Q(events__kind=CaseEvent.Kind.WARNING)),
        )
    )
    told = 0
    for case in cases.iterator(chunk_size=200):
        if case.last_at and case_stall_check(
            case=case, last_event_id=case.last_id, last_event_at=case.last_at, calendar=calendar, today=today
        ):
            told += 1
    logger.info("stalled cases reported: %s", told)
    return told


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


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def cases_remind_handovers() -> int:
    """Remind receivers of unanswered hand-over offers, then tell the centre's leaders (首问负责制)."""
    calendar = WorkCalendar.load()
    now = timezone.now()
    ids = list(
        Handover.objects.filter(state=Handover.State.OFFERED, escalated_at__isnull=True).values_list("id", flat=True)
    )
    acted = sum(1 for handover_id in ids if handover_remind(handover_id=handover_id, calendar=calendar, now=now))
    logger.info("hand-over offers reminded or escalated: %s", acted)
    return acted
