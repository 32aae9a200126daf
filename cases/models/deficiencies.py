"""Acceptance with deficiencies (容缺受理): the case's materials, the written commitment, the reminder calls before its deadline, and the record of a broken one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govservice.crypto import LookupHashField
from govservice.models import Centre
from govservice.sealed import ScrubbedCharField

from .case import Case
from .catalogue import Material


class CaseMaterial(models.Model):
    class State(models.TextChoices):
        PROVIDED = "provided", _("已提交")
        MISSING = "missing", _("未提交")
        DEFERRED = "deferred", _("容缺待补")
        RECEIVED = "received", _("已补正")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("材料名称"), max_length=200)
    is_core = models.BooleanField(_("主要材料"), default=True)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PROVIDED)
    received_at = models.DateTimeField(_("补正时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "material"], name="case_material_unique"),
            models.CheckConstraint(
                condition=~models.Q(state="deferred", is_core=True), name="case_material_core_never_deferred"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Commitment(models.Model):
    """The written commitment (承诺书) of an acceptance with deficiencies."""

    class SubmitMethod(models.TextChoices):
        WINDOW = "window", _("到窗口递交")
        POST = "post", _("邮寄")
        ONLINE = "online", _("网上提交")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="commitment")
    deadline = models.DateField(_("补正期限"))
    deadline_provisional = models.BooleanField(_("期限按未公布日历推算"), default=False)
    submit_method = models.CharField(_("补交方式"), max_length=20, choices=SubmitMethod.choices)
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    original_deadline = models.DateField(_("原补正期限"), null=True, blank=True)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_reason = ScrubbedCharField(_("延期理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.deadline}"

    @property
    def was_extended(self) -> bool:
        return self.original_deadline is not None


class ApplicantRecord(models.Model):
    """The centre's record of a broken or false commitment; it bars 容缺受理 for that applicant."""

    class Kind(models.TextChoices):
        BROKEN = "broken", _("未按承诺补正")
        FALSE = "false", _("虚假承诺")

    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="+")
    id_hash = LookupHashField(lookup_source="case__applicant_id_number", max_length=64, db_index=True, editable=False)
    id_masked = models.CharField(_("证件号码"), max_length=30)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = ScrubbedCharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请人失信记录")
        verbose_name_plural = _("申请人失信记录")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=models.Q(case__isnull=False), name="applicant_record_once_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.id_masked} {self.get_kind_display()}"


class ReminderCall(models.Model):
    """A phone call staff owe the applicant before the correction deadline; the outcome is recorded."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待拨打")
        REACHED = "reached", _("已接通并提醒")
        NO_ANSWER = "no_answer", _("无人接听")
        WRONG_NUMBER = "wrong_number", _("号码有误")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reminder_calls")
    deadline = models.DateField(_("补正期限"))
    offset = models.PositiveSmallIntegerField(_("截止前工作日"))
    call_on = models.DateField(_("拨打日期"))
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    note = ScrubbedCharField(_("备注"), max_length=300, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("电话提醒")
        verbose_name_plural = _("电话提醒")
        ordering = ["call_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "deadline", "offset"], name="reminder_call_natural_key")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.call_on}"
