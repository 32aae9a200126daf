"""Periodic ledger checks. Each task calls one service that is idempotent by compare-and-set."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def ledger_flag_due_measures() -> dict[str, int]:
    """Overdue and near-due measures: flag once per deadline, tell owners and the responsible leader."""
    return services.measures_flag_due()


@shared_task(acks_late=True)
def ledger_flag_recurrences() -> int:
    """Closed problems with a new complaint or bad review in the same category/window: flag as possible recurrence.

    Also reminds leaders of 回头看 re-checks that are due (once per re-check date).
    """
    services.problems_recheck_due()
    return services.problems_flag_recurrence()
