"""Plain words for citizens about dates and deadlines, in the active language (SMS: the site's language).

"请于12月4日前" on the last day reads as if the deadline were already over: on that day the wording says
that today is the last day instead.
"""

from __future__ import annotations

from datetime import date

from django.utils import dateformat
from django.utils.translation import gettext as _


def day_month(day: date) -> str:
    """ "12月4日" / "4 December": a Django date format, translated (n = month, j = day, F = month name)."""
    return dateformat.format(day, _("n月j日"))


def correction_deadline_phrase(*, deadline: date, today: date) -> str:
    """What the citizen is told about the correction deadline on `today`."""
    if today == deadline:
        return _("今天（%(date)s）是补正材料的最后期限") % {"date": day_month(deadline)}
    if today > deadline:
        return _("补正期限（%(date)s）已过") % {"date": day_month(deadline)}
    return _("请于%(date)s前补交材料") % {"date": day_month(deadline)}
