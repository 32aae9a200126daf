"""The dashboard's one scheduled job: the leaders' weekly digest (Mondays, Asia/Shanghai)."""

from __future__ import annotations

from celery import shared_task

from .digest_output import digests_send_weekly


@shared_task
def weekly_digest_send() -> int:
    """Send last week's digest to every leader not served yet (beat runs it at 08:00 and again
    until 11:00 on Mondays: a run that failed half-way is completed, nobody gets it twice)."""
    return digests_send_weekly()
