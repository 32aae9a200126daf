"""Citizen voices: channels, evaluations (好差评) and complaints. First cut."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.crypto import EncryptedCharField
from rectification.models import Problem, ProblemCategory
from staff.models import Centre, Department, TimeStampedModel, Window


class Channel(TimeStampedModel):
    class Kind(models.TextChoices):
        WINDOW_DEVICE = "window_device", _("窗口评价器")
        QR_CODE = "qr_code", _("窗口二维码")
        PORTAL = "portal", _("网上办事大厅")
        HOTLINE = "hotline", _("12345热线")
        MOBILE_APP = "mobile_app", _("移动端/小程序")
        THIRD_PARTY = "third_party", _("第三方测评")
        CROSS_CHECK = "cross_check", _("内部交叉检查")
        SPOT_CHECK = "spot_check", _("明查暗访")
        LEADER_WINDOW = "leader_window", _("办不成事反映窗口")
        SMS_LINK = "sms_link", _("短信评价链接")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    centres = models.ManyToManyField(Centre, verbose_name=_("服务中心"), related_name="channels")
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("反馈渠道")
        verbose_name_plural = _("反馈渠道")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class EvaluationLevel(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_REVIEW_LEVELS = (EvaluationLevel.DISSATISFIED, EvaluationLevel.VERY_DISSATISFIED)


class Evaluation(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="evaluations")
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="evaluations")
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被评价人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evaluations",
    )
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("办件"), null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=EvaluationLevel.choices)
    text = models.TextField(_("评价内容"), blank=True)
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
    is_real_name = models.BooleanField(_("实名评价"), default=False)
    evaluator_name = models.CharField(_("评价人"), max_length=100, blank=True)
    evaluator_phone = EncryptedCharField(_("评价人电话"), blank=True)
    evaluator_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    excluded = models.BooleanField(_("不计入统计"), default=False, help_text=_("核实为误评、恶意差评或本人触发的评价"))
    rated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价（好差评）")
        ordering = ["-rated_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="evaluation_level_1_to_5"),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="evaluation_external_id_unique_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "rated_at"]),
            models.Index(fields=["staff", "rated_at"]),
            models.Index(fields=["window", "rated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.rated_at:%Y-%m-%d}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_REVIEW_LEVELS


class Complaint(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")

    class Status(models.TextChoices):
        RECEIVED = "received", _("已受理")
        ASSIGNED = "assigned", _("已分派")
        REPLIED = "replied", _("已答复")
        CLOSED = "closed", _("已办结")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="complaints")
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    content = models.TextField(_("内容"))
    contact_name = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True)
    contact_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    category = models.CharField(_("问题类别"), max_length=20, choices=ProblemCategory.choices, blank=True)
    window = models.ForeignKey(
        Window, verbose_name=_("涉及窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("涉及人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
    )
    matter_type = models.ForeignKey(
        "cases.MatterType", verbose_name=_("事项"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_complaints",
    )
    problem = models.ForeignKey(
        Problem,
        verbose_name=_("关联台账问题"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    external_id = models.CharField(_("渠道记录编号"), max_length=100, blank=True)
    received_at = models.DateTimeField(_("受理时间"))

    class Meta:
        verbose_name = _("投诉建议")
        verbose_name_plural = _("投诉建议")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="complaint_external_id_unique_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "received_at"]),
            models.Index(fields=["centre", "category"]),
            models.Index(fields=["centre", "status"]),
        ]

    def __str__(self) -> str:
        return self.tracking_no


class ComplaintEvent(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉记录")
        verbose_name_plural = _("投诉记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.old_status} → {self.new_status}"
