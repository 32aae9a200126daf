"""When a channel may say a record happened (`rated_at`, `received_at`).

A channel dates its own records, and those dates count: the month of a rating is the month it scores in. So a
date is taken only within a window: never in the future beyond a small clock skew
(INTAKE_CLOCK_SKEW_SECONDS), through the live API not older than INTAKE_MAX_BACKDATE_DAYS (a file import of
older records, started by staff, may be), and never in a month whose service-star scores are locked, unless
the channel is allowed to (`Channel.may_date_into_locked_months`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from complaints.models import Channel
from govservice.exceptions import ValidationFailed
from govservice.models import Centre
from govservice.periods import month_is_locked


def check_channel_time(
    *, channel: Channel, centre: Centre, value: datetime | None, field: str, from_api: bool = True
) -> None:
    """Raise ValidationFailed on `field` when a channel's date of a record falls outside the window."""
    if value is None:
        return
    now = timezone.now()
    if value > now + timedelta(seconds=settings.INTAKE_CLOCK_SKEW_SECONDS):
        raise ValidationFailed(_("时间不能晚于当前时间。"), field=field)
    days = settings.INTAKE_MAX_BACKDATE_DAYS
    if from_api and value < now - timedelta(days=days):
        raise ValidationFailed(_("时间不能早于 %(days)d 天前。") % {"days": days}, field=field)
    day = timezone.localtime(value).date()
    if not channel.may_date_into_locked_months and month_is_locked(centre_id=centre.pk, day=day):
        raise ValidationFailed(
            _("%(month)s的服务之星评分已锁定，不再接收该月的记录。") % {"month": date_format(day, "YEAR_MONTH_FORMAT")},
            field=field,
        )
