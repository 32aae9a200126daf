"""Service cases (办件) with first-inquiry responsibility and acceptance with deficiencies. First cut."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govservice.crypto import EncryptedCharField
from staff.models import Centre, Department, TimeStampedModel, Window


class MatterType(TimeStampedModel):
    """A service matter (事项) of the centre's catalogue."""

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="matter_types")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="matter_types"
    )
    code = models.CharField(_("事项编码"), max_length=40)
    name = models.CharField(_("事项名称"), max_length=200)
    promised_days = models.PositiveSmallIntegerField(_("承诺时限(工作日)"))
    statutory_days = models.PositiveSmallIntegerField(_("法定时限(工作日)"), null=True, blank=True)
    correction_days = models.PositiveSmallIntegerField(
        _("补正时限(工作日)"), default=5, help_text=_("容缺受理的补正期限，不超过承诺时限")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项目录")
        ordering = ["centre", "code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="matter_type_code_unique_per_centre"),
            models.CheckConstraint(
                condition=models.Q(correction_days__lte=models.F("promised_days")),
                name="matter_type_correction_within_promise",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    matter_type = models.ForeignKey(MatterType, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(_("材料名称"), max_length=200)
    is_core = models.BooleanField(_("主要材料"), default=True, help_text=_("主要材料不可容缺；次要材料可容缺后补"))
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["matter_type", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Case(TimeStampedModel):
    class Status(models.TextChoices):
        CONSULTATION = "consultation", _("咨询")
        ACCEPTED = "accepted", _("受理")
        ACCEPTED_DEFICIENT = "accepted_deficient", _("容缺受理")
        AWAITING_CORRECTION = "awaiting_correction", _("待补正")
        IN_PROCESS = "in_process", _("办理中")
        COMPLETED = "completed", _("办结")
        REJECTED = "rejected", _("不予受理")
        WITHDRAWN = "withdrawn", _("撤回")
        TERMINATED = "terminated", _("终止办理")

    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        Status.CONSULTATION: frozenset({Status.ACCEPTED, Status.ACCEPTED_DEFICIENT, Status.REJECTED, Status.WITHDRAWN}),
        Status.ACCEPTED: frozenset({Status.IN_PROCESS, Status.REJECTED, Status.WITHDRAWN}),
        Status.ACCEPTED_DEFICIENT: frozenset({Status.AWAITING_CORRECTION, Status.WITHDRAWN}),
        Status.AWAITING_CORRECTION: frozenset({Status.IN_PROCESS, Status.TERMINATED, Status.WITHDRAWN}),
        Status.IN_PROCESS: frozenset({Status.COMPLETED, Status.REJECTED, Status.WITHDRAWN}),
        Status.COMPLETED: frozenset(),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.TERMINATED: frozenset(),
    }

    class ApplicantKind(models.TextChoices):
        PERSON = "person", _("个人")
        ENTERPRISE = "enterprise", _("企业")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_no = models.CharField(_("办件编号"), max_length=30, unique=True)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="cases")
    matter_type = models.ForeignKey(MatterType, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases")
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人"), max_length=100)
    applicant_phone = EncryptedCharField(_("联系电话"), blank=True)
    applicant_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    applicant_id_number = EncryptedCharField(_("证件号码"), blank=True)
    applicant_id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_elderly = models.BooleanField(_("老年人"), default=False)
    is_disabled = models.BooleanField(_("残疾人"), default=False)
    is_other_special = models.BooleanField(_("其他特殊群体"), default=False)
    status = models.CharField(_("状态"), max_length=30, choices=Status.choices, default=Status.CONSULTATION)
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("首问责任人"), on_delete=models.PROTECT, related_name="first_asked_cases"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("当前承办人"), on_delete=models.PROTECT, related_name="handled_cases"
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["centre", "status"]),
            models.Index(fields=["centre", "created_at"]),
            models.Index(fields=["handler", "status"]),
            models.Index(fields=["first_responder", "status"]),
        ]

    def __str__(self) -> str:
        return self.tracking_no


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    old_status = models.CharField(max_length=30, blank=True)
    new_status = models.CharField(max_length=30, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.old_status} → {self.new_status}"
