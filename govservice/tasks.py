"""The core's background jobs: exports (govservice/exports), the outbox, monthly partitions."""

from __future__ import annotations

from celery import shared_task

from .exports.services import export_run, exports_purge


@shared_task
def export_run_task(job_id: int) -> str:
    return export_run(job_id).status


@shared_task
def exports_purge_task() -> int:
    return exports_purge()


@shared_task
def outbox_drain_task() -> int:
    """Run the waiting outbox messages (govservice/outbox.py); nudged after commits, and every minute by beat."""
    from .outbox import outbox_drain_all

    return outbox_drain_all()


@shared_task
def partitions_maintain_task() -> dict[str, list[str]]:
    """Daily: next months' partitions of every registered table; archive past the retention, if one is set."""
    from .partitions import maintain

    return maintain()
