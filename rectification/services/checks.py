"""Periodic checks (Celery beat): measures near or past their deadline, 回头看 dates (recurrence: recurrence.py)."""

from __future__ import annotations

from datetime import date
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govservice.workdays import WorkCalendar
from notifications.services import notice_text

from ..models import Measure, Problem, ProblemEvent
from ._shared import (
    Status,
    _event,
    _tell,
)

NEAR_DUE_WORKING_DAYS = settings.RECTIFICATION_NEAR_DUE_WORKING_DAYS

# --- periodic checks -------------------------------------------------------------------------


def measures_flag_due(*, today: date | None = None, calendar: WorkCalendar | None = None) -> dict[str, int]:
    """Find overdue and near-due measures, claim each with compare-and-set, tell the people.

    Running it again changes nothing: a measure is claimed once per deadline
    (the flags are cleared when the deadline changes), and the notices carry
    natural keys.
    """
    today = today or timezone.localdate()
    calendar = calendar or WorkCalendar.load()
    now = timezone.now()
    near_limit = calendar.add_working_days(today, NEAR_DUE_WORKING_DAYS).date
    live = Measure.objects.filter(completed_at__isnull=True).exclude(problem__status=Status.CLOSED)
    counts = {"overdue": 0, "near_due": 0}

    for measure_id in live.filter(deadline__lt=today, overdue_flagged_at__isnull=True).values_list("id", flat=True):
        with transaction.atomic():
            claimed = Measure.objects.filter(id=measure_id, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=now
            )
            if claimed != 1:
                continue
            measure = Measure.objects.select_related("problem").get(id=measure_id)
            _event(
                measure.problem,
                None,
                ProblemEvent.Kind.OVERDUE,
                note=_("措施逾期：%(m)s（时限 %(d)s）") % {"m": str(measure), "d": measure.deadline},
            )
            transaction.on_commit(partial(_notify_measure, measure_id, "overdue"))
            counts["overdue"] += 1

    near = live.filter(
        deadline__gte=today, deadline__lte=near_limit, near_due_warned_at__isnull=True, overdue_flagged_at__isnull=True
    )
    for measure_id in near.values_list("id", flat=True):
        with transaction.atomic():
            claimed = Measure.objects.filter(id=measure_id, near_due_warned_at__isnull=True).update(
                near_due_warned_at=now
            )
            if claimed != 1:
                continue
            transaction.on_commit(partial(_notify_measure, measure_id, "near_due"))
            counts["near_due"] += 1
    return counts


def _notify_measure(measure_id: int, what: str) -> None:
    measure = Measure.objects.select_related("owner", "problem__responsible_leader", "problem__centre").get(
        id=measure_id
    )
    problem = measure.problem
    if what == "overdue":
        wording = gettext_noop("整改措施已逾期：%(p)s · %(m)s（时限 %(d)s）")
        template = "ledger_measure_overdue"
    else:
        wording = gettext_noop("整改措施临近时限：%(p)s · %(m)s（时限 %(d)s）")
        template = "ledger_measure_near_due"
    text = notice_text(wording, {"p": problem.code, "m": str(measure)[:30], "d": measure.deadline.isoformat()})
    key = f"ledger:measure:{measure.id}:{what}:{measure.deadline.isoformat()}"
    people = {measure.owner_id: measure.owner, problem.responsible_leader_id: problem.responsible_leader}
    for person in people.values():
        _tell(person, key=key, text=text, url=problem.get_absolute_url(), sms_template=template, centre=problem.centre)


def problems_recheck_due(*, today: date | None = None) -> int:
    """Remind the responsible leader when a closed problem's 回头看 date has come (once per date)."""
    today = today or timezone.localdate()
    due = Problem.objects.filter(status=Status.CLOSED, recheck_on__lte=today, rechecked_at__isnull=True)
    told = 0
    for problem in due.select_related("responsible_leader"):
        recheck_on = problem.recheck_on
        assert recheck_on is not None  # noqa: S101 - the filter above: recheck_on__lte=today
        key = f"ledger:problem:{problem.id}:recheck:{recheck_on.isoformat()}"
        from notifications.selectors import notice_sent

        if notice_sent(recipient=problem.responsible_leader, key=key):
            continue
        _tell(
            problem.responsible_leader,
            key=key,
            text=notice_text(
                gettext_noop("%(p)s 已到回头看日期（%(d)s），请核查整改成效。"),
                {"p": problem.code, "d": problem.recheck_on},
            ),
            url=problem.get_absolute_url(),
        )
        told += 1
    return told
