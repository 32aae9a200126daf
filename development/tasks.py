"""Background work for development: the monthly service-star run.

The tasks keep the names they were registered under in staff (the beat schedule and queued messages use them)."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from govservice.exceptions import DomainError
from govservice.replica import use_replica
from govservice.selectors import centre_get
from staff.selectors import person_by_id

from .models import month_start, previous_month
from .scoring import is_first_working_day_of_month, scoring_monthly_centres, scoring_run_month

logger = logging.getLogger(__name__)


@shared_task(name="staff.tasks.scoring_run_month_task", acks_late=True)
def scoring_run_month_task(centre_id: int, month: str, actor_id: int | None = None) -> None:
    """Compute one centre-month (the manual re-run button). Idempotent, so redelivery is safe."""
    centre = centre_get(centre_id=centre_id)
    actor = person_by_id(actor_id) if actor_id else None
    try:
        scoring_run_month(centre=centre, month=date.fromisoformat(month), actor=actor)
    except DomainError as exc:
        logger.warning("scoring run for centre %s %s refused: %s", centre_id, month, exc)


@shared_task(name="staff.tasks.scoring_monthly_task", acks_late=True)
def scoring_monthly_task() -> int:
    """Runs daily; acts only on the first working day of a month: previous month, every centre, as a preview."""
    today = timezone.localdate()
    if not is_first_working_day_of_month(today):
        return 0
    return scoring_monthly_run(today=today)


def scoring_monthly_run(*, today: date) -> int:
    """The beat's work on the first working day: the previous month of every centre, as a preview.

    Each centre in its own run (its own lock and transactions); a refused centre is logged and skipped."""
    month = previous_month(month_start(today))
    done = 0
    for centre in scoring_monthly_centres(today):
        try:
            # Last month's figures, read on the replica when there is one (the run's writes go to the primary).
            with use_replica():
                scoring_run_month(centre=centre, month=month, actor=None)
            done += 1
        except DomainError as exc:
            logger.warning("monthly scoring for centre %s refused: %s", centre.id, exc)
    return done
