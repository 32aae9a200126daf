"""The working calendar every deadline is counted on (see govservice.workdays).

The tables keep the names they had when these models lived in `staff`, so a
database created before the move keeps its rows without a data migration.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkCalendarYear(models.Model):
    """A year whose official calendar the centre has entered completely."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    is_complete = models.BooleanField(
        _("已完整录入"), default=False, help_text=_("勾选后，该年截止日期不再标记为“暂定”。")
    )
    source = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如国务院办公厅放假安排通知的文号"))

    class Meta:
        db_table = "staff_workcalendaryear"
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """A holiday or an adjusted working day (调休) that overrides the built-in calendar."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), help_text=_("勾选：调休上班日；不勾选：放假。"))
    name = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("如“春节”“国庆节调休上班”"))

    class Meta:
        db_table = "staff_workcalendarday"
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
