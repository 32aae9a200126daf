"""The rectification ledger (整改台账): problems, measures, close-out (销号). First cut."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from staff.models import Centre, Department, TimeStampedModel, Window


class ProblemCategory(models.TextChoices):
    """The centre's four problem categories; complaints are classified into the same ones."""

    ATTITUDE = "attitude", _("服务态度")
    ABILITY = "ability", _("业务能力")
    EFFICIENCY = "efficiency", _("流程效率")
    DISCIPLINE = "discipline", _("纪律执行")


class ProblemSource(models.TextChoices):
    SELF_INSPECTION = "self_inspection", _("自查自纠")
    COMPLAINT = "complaint", _("群众投诉")
    BAD_REVIEW = "bad_review", _("差评")
    CROSS_CHECK = "cross_check", _("内部交叉检查")
    THIRD_PARTY = "third_party", _("第三方测评")
    ROLE_SWAP = "role_swap", _("换位体验")
    SPOT_CHECK = "spot_check", _("明查暗访")
    LEADER_WINDOW = "leader_window", _("办不成事反映窗口")


class Problem(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("待整改")
        IN_RECTIFICATION = "in_rectification", _("整改中")
        CLOSE_OUT_APPLIED = "close_out_applied", _("申请销号")
        CLOSED = "closed", _("已销号")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.OPEN: frozenset({Status.IN_RECTIFICATION}),
        Status.IN_RECTIFICATION: frozenset({Status.CLOSE_OUT_APPLIED}),
        Status.CLOSE_OUT_APPLIED: frozenset({Status.CLOSED, Status.IN_RECTIFICATION}),
        Status.CLOSED: frozenset({Status.IN_RECTIFICATION}),  # 回头看 found it came back
    }

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="problems")
    code = models.CharField(_("问题编号"), max_length=20)
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices)
    title = models.CharField(_("问题名称"), max_length=200)
    description = models.TextField(_("问题表现"))
    source = models.CharField(_("问题来源"), max_length=20, choices=ProblemSource.choices)
    window = models.ForeignKey(
        Window, verbose_name=_("涉及窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="problems"
    )
    found_on = models.DateField(_("发现日期"))
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任领导"), on_delete=models.PROTECT, related_name="+"
    )
    responsible_department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    recheck_on = models.DateField(_("回头看日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题清单")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="problem_code_unique_per_centre")]
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["centre", "category"])]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Measure(TimeStampedModel):
    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="measures")
    description = models.TextField(_("整改措施"))
    owner_department = models.ForeignKey(
        Department, verbose_name=_("责任单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("责任人"), on_delete=models.PROTECT, related_name="measures"
    )
    deadline = models.DateField(_("整改时限"))
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    progress = models.PositiveSmallIntegerField(_("进度(%)"), default=0)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改措施")
        verbose_name_plural = _("整改措施")
        ordering = ["problem", "deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="measure_progress_at_most_100"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="measure_weight_positive"),
        ]
        indexes = [models.Index(fields=["deadline", "completed_at"])]

    def __str__(self) -> str:
        return self.description[:40]


class ProblemEvent(models.Model):
    """History of a problem: every status move and every edit, with the actor."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("问题记录")
        verbose_name_plural = _("问题记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.old_status} → {self.new_status}"
