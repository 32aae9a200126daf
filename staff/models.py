"""Windows, people and their roles (centres and departments live in govservice.models)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from govservice import access
from govservice.constraints import ConstraintMessage, PlainConstraintErrors
from govservice.crypto import EncryptedCharField
from govservice.masking import mask_phone
from govservice.models import Centre, Department, TimeStampedModel
from govservice.roles import Role


class PositionType(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("综合窗口")
    PROFESSIONAL = "professional", _("专业窗口")


class Window(PlainConstraintErrors, TimeStampedModel):
    public_id = models.UUIDField(_("公开编号"), default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(Centre, verbose_name=_("中心"), on_delete=models.PROTECT, related_name="windows")
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="windows"
    )
    code = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("窗口类型"), max_length=20, choices=PositionType.choices)
    is_active = models.BooleanField(_("启用"), default=True)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "window_code_unique_per_centre": ConstraintMessage(
            "code", lambda obj: _("本中心已有窗口号“%(code)s”。") % {"code": obj.code}
        ),
    }

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["centre", "code"]
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="window_code_unique_per_centre")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A member of staff. Citizens never log in."""

    name = models.CharField(_("姓名"), max_length=50)
    staff_no = models.CharField(_("工号"), max_length=20, blank=True)
    centre = models.ForeignKey(
        Centre, verbose_name=_("中心"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )
    position_type = models.CharField(_("岗位类型"), max_length=20, choices=PositionType.choices, blank=True)
    started_on = models.DateField(_("窗口工作起始日"), null=True, blank=True)
    mobile = EncryptedCharField(_("手机号"), blank=True)
    sms_opt_in = models.BooleanField(_("接收短信提醒"), default=False)
    photo = models.ImageField(_("照片"), upload_to="staff/photos/", blank=True)

    objects: ClassVar[UserManager[Self]] = UserManager()

    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.name or self.username

    @cached_property
    def role_set(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))

    # Shorthands for templates; the rules themselves live in govservice.access.
    @property
    def is_city_wide(self) -> bool:
        return access.is_city_wide(self)

    @property
    def is_leader(self) -> bool:
        return access.is_leader(self)

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile)

    def years_on_windows(self, on: date) -> float | None:
        if not self.started_on:
            return None
        return (on - self.started_on).days / 365.25


class StaffRole(PlainConstraintErrors, models.Model):
    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "staff_role_unique": ConstraintMessage("role", lambda obj: _("该人员已有此角色。")),
    }

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="staff_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Absence(PlainConstraintErrors, models.Model):
    """A person away from the centre on some dates (leave, training, sick); recorded by a leader."""

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("缺勤事由"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "absence_ends_on_or_after_start": ConstraintMessage("ends_on", lambda obj: _("结束日期不能早于开始日期。")),
    }

    class Meta:
        verbose_name = _("缺勤登记")
        verbose_name_plural = _("缺勤登记")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="absence_ends_on_or_after_start"
            )
        ]
        indexes = [models.Index(fields=["user", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_on}–{self.ends_on}"

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class StaffEvent(models.Model):
    """One line of a person's history: an absence, a deactivation, one item of work handed to someone else."""

    class Kind(models.TextChoices):
        ABSENCE = "absence", _("登记缺勤")
        DEACTIVATED = "deactivated", _("停用账号")
        REASSIGNED = "reassigned", _("工作转交")

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="staff_events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(User, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(
        User, verbose_name=_("接手人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_kind = models.CharField(_("工作类型"), max_length=40, blank=True)
    item_id = models.PositiveBigIntegerField(null=True, blank=True)
    item_label = models.CharField(_("工作事项"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("人员记录")
        verbose_name_plural = _("人员记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item_label}"


class StaffIdentity(PlainConstraintErrors, models.Model):
    """An account's person at the unified identity platform: its issuer and the stable claim's value.

    Single sign-on finds an account only through this link, made by an administrator (never by e-mail,
    which can be handed to someone else, nor by a name). One subject per issuer names one account, and an
    account has at most one subject per issuer. staff/sso.py.
    """

    user = models.ForeignKey(User, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="identities")
    issuer = models.CharField(_("身份认证平台"), max_length=255)
    subject = models.CharField(_("统一身份标识"), max_length=255)
    linked_by = models.ForeignKey(
        User, verbose_name=_("关联人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(_("关联时间"), default=timezone.now)

    constraint_messages: ClassVar[dict[str, ConstraintMessage]] = {
        "staff_identity_subject_unique": ConstraintMessage(
            "subject", lambda obj: _("该统一身份标识已关联到另一个账号。")
        ),
        "staff_identity_one_per_issuer": ConstraintMessage("subject", lambda obj: _("该账号已关联统一身份标识。")),
        "staff_identity_subject_not_blank": ConstraintMessage("subject", lambda obj: _("统一身份标识不能为空。")),
    }

    class Meta:
        verbose_name = _("统一身份关联")
        verbose_name_plural = _("统一身份关联")
        ordering = ["user", "issuer"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="staff_identity_subject_unique"),
            models.UniqueConstraint(fields=["user", "issuer"], name="staff_identity_one_per_issuer"),
            models.CheckConstraint(condition=~models.Q(subject=""), name="staff_identity_subject_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.subject}"


class SsoLogin(models.Model):
    """One sign-in through the identity platform, let in or refused: who, when, which subject, from where.

    Refusals are kept too (user empty for an unknown subject): they show the administrator which subject
    to link to whom.
    """

    class Outcome(models.TextChoices):
        SIGNED_IN = "signed_in", _("已登录")
        UNKNOWN_SUBJECT = "unknown_subject", _("未关联账号")
        DISABLED = "disabled", _("账号已停用")

    user = models.ForeignKey(
        User, verbose_name=_("人员"), null=True, blank=True, on_delete=models.PROTECT, related_name="sso_logins"
    )
    issuer = models.CharField(_("身份认证平台"), max_length=255)
    subject = models.CharField(_("统一身份标识"), max_length=255)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    address = models.GenericIPAddressField(_("登录地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("统一身份登录记录")
        verbose_name_plural = _("统一身份登录记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["issuer", "subject", "created_at"])]

    def __str__(self) -> str:
        return f"{self.subject} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"
