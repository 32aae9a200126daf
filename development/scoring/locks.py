"""Whether a centre's month of service-star scores is locked (registered in govservice.periods)."""

from __future__ import annotations

from datetime import date

from ..models import ScoringRun


def scores_locked(centre_id: int, month: date) -> bool:
    return ScoringRun.objects.filter(centre_id=centre_id, month=month, status=ScoringRun.Status.LOCKED).exists()
