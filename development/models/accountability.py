"""What a bottom place leads to, and leave that pro-rates a month.

- A first bottom month: a reminder talk (提醒谈话) by a leader, due in the scheme's number of working
  days, recorded with who held it, when and what was said, and its history.
- A second bottom month in a row: the interview and off-duty training (`FollowUp`); the training
  follow-up is linked both ways to a retraining enrolment in the training module.
- Days of leave, entered by the administrator, pro-rate the volume indicators of a month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.models import Centre, TimeStampedModel
from govservice.sealed import ScrubbedTextField

from .programmes import TrainingSession
from .scoring import FollowUp


class ReminderTalk(PlainConstraintErrors, TimeStampedModel):
    """The reminder talk (提醒谈话) after a first bottom month."""

    class Status(models.TextChoices):
        OPEN = "open", _("待谈话")
        DONE = "done", _("已谈话")
        CANCELLED = "cancelled", _("已撤销")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="reminder_talks")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="reminder_talks"
    )
    month = models.DateField(_("末位月份"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("谈话领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminder_talks_held",
    )
    due_date = models.DateField(_("谈话期限"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("谈话时间"), null=True, blank=True)
    notes = ScrubbedTextField(_("谈话内容"), blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "one_reminder_talk_per_staff_month": ConstraintMessage("month", lambda obj: _("该人员该月已有提醒谈话。")),
    }

    class Meta:
        verbose_name = _("提醒谈话")
        verbose_name_plural = _("提醒谈话")
        ordering = ["status", "-month", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="one_reminder_talk_per_staff_month"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.month:%Y-%m}"


class ReminderTalkEvent(models.Model):
    """One line of a reminder talk's history: raised, held, withdrawn."""

    talk = models.ForeignKey(ReminderTalk, verbose_name=_("提醒谈话"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    note = ScrubbedTextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("提醒谈话记录")
        verbose_name_plural = _("提醒谈话记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.talk_id}: {self.old_status} → {self.new_status}"


class TrainingEnrolment(TimeStampedModel):
    """A retraining enrolment (离岗培训) raised by two bottom months in a row; linked to its follow-up."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("待参训")
        ATTENDED = "attended", _("已参训")
        CANCELLED = "cancelled", _("已撤销")

    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="training_enrolments"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="training_enrolments"
    )
    follow_up = models.OneToOneField(
        FollowUp, verbose_name=_("末位跟进"), on_delete=models.PROTECT, related_name="enrolment"
    )
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("培训场次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ENROLLED)

    class Meta:
        verbose_name = _("离岗培训报名")
        verbose_name_plural = _("离岗培训报名")
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return f"{self.staff} · {self.follow_up.month:%Y-%m}"


class StaffLeave(PlainConstraintErrors, TimeStampedModel):
    """Working days of leave in a month, entered by the administrator: the volume targets shrink pro rata."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="staff_leaves")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="leaves"
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    days = models.DecimalField(
        _("休假工作日数"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("当月休假的工作日天数，可为半天（0.5）"),
    )
    reason = models.CharField(_("假别或说明"), max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "staff_leave_one_row_per_month": ConstraintMessage("month", lambda obj: _("该人员该月已有休假记录。")),
        "staff_leave_month_first_day": ConstraintMessage("month", lambda obj: _("月份须为当月 1 日。")),
        "staff_leave_days_positive": ConstraintMessage("days", lambda obj: _("休假天数须大于 0。")),
    }

    class Meta:
        verbose_name = _("休假天数")
        verbose_name_plural = _("休假天数")
        ordering = ["-month", "staff"]
        constraints = [
            models.UniqueConstraint(fields=["staff", "month"], name="staff_leave_one_row_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="staff_leave_month_first_day"),
            models.CheckConstraint(condition=models.Q(days__gt=0), name="staff_leave_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.month:%Y-%m} · {self.days}"
