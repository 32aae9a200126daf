"""Who works on a case besides its handler: hand-overs, 帮办代办 assistance, and who saw the applicant's personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.sealed import ScrubbedCharField

from .case import Case


class Handover(models.Model):
    """A two-sided hand-over: offered to a named receiver, who accepts or declines with a reason.

    Every offer, answer and withdrawal also writes a hand-over `CaseEvent` (services.case_handover_*):
    the case page reads this table only for a case whose history has one."""

    class State(models.TextChoices):
        OFFERED = "offered", _("待接收")
        ACCEPTED = "accepted", _("已接收")
        DECLINED = "declined", _("已拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handover_offers")
    reason = ScrubbedCharField(_("转交理由"), max_length=300)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.OFFERED)
    response_reason = ScrubbedCharField(_("答复理由"), max_length=300, blank=True)
    offered_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    # Set once each by the reminder task (compare-and-set): the receiver was reminded, then the leaders told.
    reminded_at = models.DateTimeField(_("提醒接收时间"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("报告领导时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("转交")
        verbose_name_plural = _("转交")
        ordering = ["-offered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(state="offered"), name="handover_one_open_offer_per_case"
            ),
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")), name="handover_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_user_id} → {self.to_user_id}"


class PiiAccess(models.Model):
    """Who saw a citizen's full phone or ID number, and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pii_accesses")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=20)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.viewer_id} {self.field} {self.case_id}"


class Assistance(models.Model):
    """帮办代办: a special-group applicant's case assigned to a helper."""

    class Satisfaction(models.IntegerChoices):
        VERY_SATISFIED = 5, _("非常满意")
        SATISFIED = 4, _("满意")
        BASIC = 3, _("基本满意")
        DISSATISFIED = 2, _("不满意")
        VERY_DISSATISFIED = 1, _("非常不满意")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="assistance")
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assistances")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), choices=Satisfaction.choices, null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("帮办代办")
        verbose_name_plural = _("帮办代办")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="assistance_satisfaction_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.helper_id}"


class AssistanceLog(models.Model):
    class Action(models.TextChoices):
        FORM_FILLING = "form_filling", _("代填表单")
        SYSTEM_OPERATION = "system_operation", _("系统操作")
        PROGRESS_QUERY = "progress_query", _("进度查询")
        ACCOMPANIED = "accompanied", _("全程陪办")
        HOME_VISIT = "home_visit", _("上门服务")

    assistance = models.ForeignKey(Assistance, on_delete=models.CASCADE, related_name="logs")
    action = models.CharField(_("帮办内容"), max_length=30, choices=Action.choices)
    note = ScrubbedCharField(_("说明"), max_length=300, blank=True)
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("帮办记录")
        verbose_name_plural = _("帮办记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.get_action_display()
