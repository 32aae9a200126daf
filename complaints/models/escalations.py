"""The "could not get it done" window (办不成事反映窗口) and its leaders' duty rota."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.crypto import EncryptedCharField, LookupHashField
from govservice.models import Centre, Department, TimeStampedModel
from govservice.sealed import ScrubbedCharField, ScrubbedTextField, sealed_copy

from .evaluations import EvaluationLevel


class Escalation(TimeStampedModel):
    """A matter brought to the "could not get it done" window (办不成事反映窗口)."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("一般问题")
        COMPLEX = "complex", _("复杂问题")

    class Reason(models.TextChoices):
        POLICY = "policy", _("政策不明确")
        COORDINATION = "coordination", _("部门协调不畅")
        HISTORY = "history", _("历史遗留问题")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已登记")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已解决")
        UNRESOLVED = "unresolved", _("未能解决")
        CLOSED = "closed", _("已回访办结")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.UNRESOLVED}),
        Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.UNRESOLVED}),
        Status.RESOLVED: frozenset({Status.CLOSED}),
        Status.UNRESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="escalations")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices, default=Reason.OTHER)
    citizen_name = ScrubbedCharField(_("反映人"), max_length=100, blank=True)
    citizen_phone = EncryptedCharField(_("联系电话"), blank=True)
    citizen_phone_hash = LookupHashField(
        lookup_source="citizen_phone", max_length=64, blank=True, db_index=True, editable=False
    )
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content = ScrubbedTextField(_("反映内容"), keep_original=True)
    content_sealed = sealed_copy()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接待领导"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("登记时间"))
    due_date = models.DateField(_("答复时限"))
    due_is_provisional = models.BooleanField(_("时限按未公布日历推算"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    report = ScrubbedTextField(_("专题报告"), blank=True, keep_original=True)
    report_sealed = sealed_copy()
    outcome = ScrubbedTextField(_("办理结果"), blank=True, keep_original=True)
    outcome_sealed = sealed_copy()
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("群众满意度"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    overdue_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("办不成事反映")
        verbose_name_plural = _("办不成事反映")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["centre", "solved_at"])]

    def __str__(self) -> str:
        return self.tracking_no


class EscalationDepartment(models.Model):
    """A department involved in a (complex) escalation: its part and its answer."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="departments")
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    part = ScrubbedTextField(_("承担工作"))
    answer = ScrubbedTextField(_("部门答复"), blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("参与部门")
        verbose_name_plural = _("参与部门")
        constraints = [
            models.UniqueConstraint(fields=["escalation", "department"], name="escalation_department_once"),
        ]

    def __str__(self) -> str:
        return f"{self.escalation_id} · {self.department}"


class EscalationEvent(models.Model):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = ScrubbedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.escalation_id}: {self.old_status} → {self.new_status}"


class DutySlot(PlainConstraintErrors, models.Model):
    """The regular rota of the escalation window: a leader on a weekday half-day."""

    class Half(models.TextChoices):
        MORNING = "am", _("上午")
        AFTERNOON = "pm", _("下午")

    class Weekday(models.IntegerChoices):
        MON = 0, _("周一")
        TUE = 1, _("周二")
        WED = 2, _("周三")
        THU = 3, _("周四")
        FRI = 4, _("周五")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="duty_slots")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    half = models.CharField(_("时段"), max_length=2, choices=Half.choices, default=Half.MORNING)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("值班领导"), on_delete=models.PROTECT, related_name="+"
    )

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "duty_slot_once": ConstraintMessage("half", lambda obj: _("该时段已安排值班领导，请修改原安排。")),
    }

    class Meta:
        verbose_name = _("领导值班安排")
        verbose_name_plural = _("领导值班安排")
        ordering = ["centre", "weekday", "half"]
        constraints = [models.UniqueConstraint(fields=["centre", "weekday", "half"], name="duty_slot_once")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()}{self.get_half_display()} · {self.leader}"


class DutySwap(PlainConstraintErrors, models.Model):
    """One date on which another leader takes the slot (调班)."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.CASCADE, related_name="duty_swaps")
    date = models.DateField(_("日期"))
    half = models.CharField(_("时段"), max_length=2, choices=DutySlot.Half.choices, default=DutySlot.Half.MORNING)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("替班领导"), on_delete=models.PROTECT, related_name="+"
    )
    note = ScrubbedCharField(_("说明"), max_length=200, blank=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "duty_swap_once": ConstraintMessage("half", lambda obj: _("该日期的这一时段已有调班，请修改原调班。")),
    }

    class Meta:
        verbose_name = _("值班调换")
        verbose_name_plural = _("值班调换")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["centre", "date", "half"], name="duty_swap_once")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_half_display()} · {self.leader}"
