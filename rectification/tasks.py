"""Periodic ledger checks. Each task calls one service that is idempotent by compare-and-set."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True)
def ledger_flag_due_measures() -> dict[str, int]:
    """Overdue and near-due measures: flag once per deadline, tell owners and the responsible leader."""
    return services.measures_flag_due()


@shared_task(acks_late=True)
def ledger_flag_recurrences() -> int:
    """Closed problems that a new complaint or bad review points back to (window, matter, staff or similar
    text; rectification/recurrence.py): suggest a possible recurrence for a leader to confirm or dismiss.

    Also reminds leaders of 回头看 re-checks that are due (once per re-check date).
    """
    services.problems_recheck_due()
    return services.problems_flag_recurrence()


# On the "imports" queue (CELERY_TASK_ROUTES). Past the soft limit the import fails with a message;
# past the hard limit the worker kills it and the hourly purge fails the import and deletes its file.
@shared_task(
    acks_late=True,
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def ledger_import_run(import_id: int) -> None:
    """Read one uploaded ledger and compare it with the ledger (the preview); its file is deleted when done."""
    services.ledger_import_process(import_id=import_id)


@shared_task(
    acks_late=True,
    soft_time_limit=settings.IMPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.IMPORT_TASK_TIME_LIMIT,
)
def ledger_import_apply_run(import_id: int) -> None:
    """Apply a confirmed import's changes, all or none."""
    services.ledger_import_apply_process(import_id=import_id)


@shared_task
def ledger_import_files_purge() -> int:
    """Ledger import files left behind (a killed task, a stray upload) are deleted."""
    return services.ledger_import_files_purge()
