"""The organisation units (centres, departments) and the working calendar every
deadline is counted on (see govservice.workdays).

The tables keep the names they had when these models lived in `staff`, so a
database created before the move keeps its rows without a data migration.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.uploads import export_storage


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class Centre(TimeStampedModel):
    class Level(models.TextChoices):
        CITY = "city", _("市级中心")
        DISTRICT = "district", _("区县中心")

    code = models.SlugField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.DISTRICT)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级中心"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    tracking_prefix = models.CharField(
        _("办件编号前缀"), max_length=8, help_text=_("例如 GS，编号形如 GS-2026-000123"), unique=True
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        db_table = "staff_centre"
        verbose_name = _("政务服务中心")
        verbose_name_plural = _("政务服务中心")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Department(PlainConstraintErrors, TimeStampedModel):
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="departments")
    code = models.SlugField(_("编码"), max_length=30)
    name = models.CharField(_("名称"), max_length=100)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "department_code_unique_per_centre": ConstraintMessage(
            "code", lambda obj: _("本中心已有部门编码“%(code)s”。") % {"code": obj.code}
        ),
    }

    class Meta:
        db_table = "staff_department"
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="department_code_unique_per_centre")]

    def __str__(self) -> str:
        return self.name


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


class WorkCalendarChange(models.Model):
    """One save of a year of the working calendar: who saved it, what it held, and how many stored
    deadlines moved, per kind (govservice.calendar_year.calendar_year_save)."""

    year = models.PositiveSmallIntegerField(_("年份"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("依据"), max_length=200, blank=True)
    days_off = models.PositiveSmallIntegerField(_("放假天数"), default=0)
    makeup_days = models.PositiveSmallIntegerField(_("调休上班天数"), default=0)
    # {kind: number of deadlines moved}, kinds as registered in govservice.calendar_hooks.
    moved = models.JSONField(_("调整的期限"), default=dict, blank=True)
    created_at = models.DateTimeField(_("保存时间"), default=timezone.now)

    class Meta:
        verbose_name = _("工作日历变更记录")
        verbose_name_plural = _("工作日历变更记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def moved_total(self) -> int:
        return sum(int(n) for n in self.moved.values())


class ExportJob(models.Model):
    """One export asked for by one person: made in the background, downloadable by that person only,
    with a token, until it expires (the file is then deleted; the record of who exported what stays)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    kind = models.CharField(_("导出内容"), max_length=40)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+"
    )
    revealed = models.BooleanField(_("含完整个人信息"), default=False)
    # The asker's language: the file's headers and labels are written in it (the ledger's import reads both).
    language = models.CharField(_("语言"), max_length=10, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), storage=export_storage, upload_to="%Y/%m/", blank=True)
    token = models.CharField(_("下载口令"), max_length=64, editable=False)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("导出时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"))
    downloaded_at = models.DateTimeField(_("最近下载时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"]), models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, 100 * self.rows_done // self.rows_total)


class OutboxMessage(models.Model):
    """Work that need not answer the caller, written in the caller's transaction and done after it
    (govservice/outbox.py): the change feed and webhooks of a channel record, Celery tasks of a write."""

    topic = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # Set while a drain works on the message; a claim older than outbox.CLAIM_SECONDS is a dead drain's.
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("待办消息")
        verbose_name_plural = _("待办消息")

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
