"""The promised-time clock of a case, computed from its event history only.

Events with a `clock` mark (start / pause / resume / stop) are replayed in
order; nothing is counted in a column that could drift from the history. Days
are working days on the centre's calendar (govservice.workdays): the start day
and a resume day are not counted, the usual rule for 承诺时限.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.workdays import WorkCalendar

from .models import CaseEvent


@dataclass(frozen=True)
class ClockState:
    state: str  # "not_started" | "running" | "paused" | "stopped"
    promised_days: int
    elapsed_days: int
    due_date: date | None
    pause_reason: str
    paused_since: datetime | None
    provisional: bool

    @property
    def remaining_days(self) -> int:
        return self.promised_days - self.elapsed_days

    @property
    def percent(self) -> int:
        if self.promised_days <= 0:
            return 100
        return min(999, self.elapsed_days * 100 // self.promised_days)

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def css(self) -> str:
        if self.state == "paused":
            return "status-warn"
        if self.state == "running" and self.percent >= 80:
            return "status-danger"
        if self.state == "running":
            return "status-ok"
        return ""


STATE_LABELS = {
    "not_started": _("未开始计时"),
    "running": _("计时中"),
    "paused": _("计时暂停"),
    "stopped": _("计时结束"),
}


def _local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def clock_compute(
    *,
    events: Iterable[CaseEvent],
    promised_days: int,
    calendar: WorkCalendar | None = None,
    today: date | None = None,
) -> ClockState:
    loaded = calendar

    def cal() -> WorkCalendar:  # read only when a span is counted: a case in consultation needs none
        nonlocal loaded
        if loaded is None:
            loaded = WorkCalendar.load()
        return loaded

    today = today or timezone.localdate()
    state = "not_started"
    elapsed = 0
    running_since: date | None = None
    pause_reason = ""
    paused_since: datetime | None = None
    provisional = False
    for event in sorted((e for e in events if e.clock), key=lambda e: (e.created_at, e.id or 0)):
        day = _local_date(event.created_at)
        if event.clock == CaseEvent.Clock.START and state == "not_started":
            state, running_since = "running", day
        elif event.clock == CaseEvent.Clock.PAUSE and state == "running" and running_since is not None:
            count = cal().count_working_days(running_since, day)
            elapsed += max(count.days, 0)
            provisional |= count.provisional
            state, running_since = "paused", None
            pause_reason, paused_since = event.note, event.created_at
        elif event.clock == CaseEvent.Clock.RESUME and state == "paused":
            state, running_since = "running", day
            pause_reason, paused_since = "", None
        elif event.clock == CaseEvent.Clock.STOP and state in ("running", "paused"):
            if state == "running" and running_since is not None:
                count = cal().count_working_days(running_since, day)
                elapsed += max(count.days, 0)
                provisional |= count.provisional
            state, running_since = "stopped", None
            pause_reason, paused_since = "", None

    due_date: date | None = None
    if state == "running" and running_since is not None:
        result = cal().add_working_days(running_since, max(promised_days - elapsed, 0))
        due_date, provisional = result.date, provisional or result.provisional
        count = cal().count_working_days(running_since, today)
        elapsed += max(count.days, 0)
        provisional |= count.provisional
    return ClockState(
        state=state,
        promised_days=promised_days,
        elapsed_days=elapsed,
        due_date=due_date,
        pause_reason=pause_reason,
        paused_since=paused_since,
        provisional=provisional,
    )
