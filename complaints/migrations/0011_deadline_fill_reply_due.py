"""Store the reply deadline of every complaint received before it was stored (complaints/deadlines.py).

Counted as the app counted it on the fly until now: the rule of practice for the channel and type (no
centre has rules yet: the table is new), from the day the complaint came in, on the working calendar
(the centre's table of holidays and make-up days, the chinesecalendar package, weekends). The
defaults are copied here so that a later change of them does not change what this migration did.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db import migrations
from django.utils import timezone

DEFAULTS = {("hotline", None): 5, (None, "suggestion"): 13, (None, None): 5}
END_OF_WORKING_DAY = time(17, 30)
BATCH = 1000


def _days(channel_kind: str, kind: str) -> int:
    for key in ((channel_kind, kind), (channel_kind, None), (None, kind), (None, None)):
        if key in DEFAULTS:
            return DEFAULTS[key]
    return 5


def fill(apps, schema_editor):
    from govservice.workdays import WorkCalendar

    Complaint = apps.get_model("complaints", "Complaint")
    Day = apps.get_model("govservice", "WorkCalendarDay")
    Year = apps.get_model("govservice", "WorkCalendarYear")
    calendar = WorkCalendar(
        dict(Day.objects.values_list("date", "is_workday")),
        frozenset(Year.objects.filter(is_complete=True).values_list("year", flat=True)),
    )
    todo = Complaint.objects.filter(reply_due_at__isnull=True).select_related("channel").order_by("id")
    last_id = 0
    while True:
        rows = list(todo.filter(id__gt=last_id)[:BATCH])
        if not rows:
            break
        for complaint in rows:
            days = _days(complaint.channel.kind, complaint.kind)
            start = timezone.localtime(complaint.received_at).date()
            result = calendar.add_working_days(start, days)
            complaint.reply_working_days = days
            complaint.reply_due_at = timezone.make_aware(datetime.combine(result.date, END_OF_WORKING_DAY))
            complaint.reply_due_provisional = result.provisional
        # No warning is marked as sent: an open complaint already overdue gets its one overdue warning.
        Complaint.objects.bulk_update(rows, ["reply_working_days", "reply_due_at", "reply_due_provisional"])
        last_id = rows[-1].id


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0010_deadline_reply_due"),
        ("govservice", "0003_calcal_work_calendar_change"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
